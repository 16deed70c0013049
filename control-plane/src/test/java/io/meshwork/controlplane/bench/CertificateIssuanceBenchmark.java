package io.meshwork.controlplane.bench;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.SpiffeId;
import io.meshwork.certs.WorkloadCsrSigner;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workload certificates per second, one thread: what the CA does per certificate (read and check a CSR, build and
 * sign the certificate) beside its irreducible part, one ECDSA P-256 signature over a certificate-sized message, and
 * what a sidecar does before asking (a P-256 key pair and its CSR). Run as BENCHMARKS.md says.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgs = {"-Xms256m", "-Xmx256m"})
public class CertificateIssuanceBenchmark {

    private static final SpiffeId REVIEWS = new SpiffeId("cluster.local", "default", "reviews");

    private WorkloadCsrSigner signer;
    private String csr;
    private KeyPair caKeys;
    private byte[] certificateSized;

    @Setup
    public void makeCa() throws Exception {
        CertificateAuthority root = CertificateAuthority.createSelfSigned("bench root", Duration.ofDays(3650));
        signer = new WorkloadCsrSigner(root, Duration.ofHours(24), Duration.ofDays(90));
        csr = WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS);
        caKeys = KeyPairs.newEcP256();
        certificateSized = signer.sign(csr, REVIEWS, Duration.ofHours(24)).get(0).getTBSCertificate();
    }

    /** The CA's work per certificate: parse the CSR, check its signature and SAN against the caller, sign a leaf. */
    @Benchmark
    public List<X509Certificate> signWorkloadCsr() throws Exception {
        return signer.sign(csr, REVIEWS, Duration.ofHours(24));
    }

    /** Baseline: one ECDSA P-256 signature over as many bytes as a leaf's TBSCertificate. */
    @Benchmark
    public byte[] ecdsaP256SignatureAlone() throws Exception {
        Signature signature = Signature.getInstance("SHA256withECDSA");
        signature.initSign(caKeys.getPrivate());
        signature.update(certificateSized);
        return signature.sign();
    }

    /** The sidecar's work before it asks: a P-256 key pair and a CSR naming its SPIFFE ID. */
    @Benchmark
    public String sidecarKeyAndCsr() {
        return WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS);
    }
}
