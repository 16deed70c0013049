package io.meshwork.proxy.testing;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.CsrRefusedException;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.certs.WorkloadCsrSigner;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.proxy.identity.WorkloadCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * A real CA (Bouncy Castle, as the control plane runs it) issuing workload certificates the way the
 * CA service does, through a CSR, for tests that need sidecars with identities.
 */
public final class TestIdentities {

    public static final String TRUST_DOMAIN = "cluster.local";

    private final CertificateAuthority root;
    private final WorkloadCsrSigner signer;

    public TestIdentities(String rootName) {
        this.root = CertificateAuthority.createSelfSigned(rootName, Duration.ofDays(1));
        this.signer = new WorkloadCsrSigner(root.createIntermediate(rootName + " intermediate", Duration.ofDays(1)),
                Duration.ofHours(1), Duration.ofHours(24));
    }

    /** The CA that signs workload CSRs, for a real CA service in a test. */
    public WorkloadCsrSigner signer() {
        return signer;
    }

    /** What the control plane pushes as the ROOTCA secret. */
    public TrustBundle trust() {
        return new TrustBundle(TRUST_DOMAIN, List.of(Pem.write(root.certificate())));
    }

    public X509Certificate root() {
        return root.certificate();
    }

    /** A certificate for {@code namespace/serviceAccount} with {@code ttl}: leaf and intermediate, no root. */
    public WorkloadCertificate issue(String namespace, String serviceAccount, Duration ttl) {
        KeyPair keys = KeyPairs.newEcP256();
        SpiffeId id = new SpiffeId(TRUST_DOMAIN, namespace, serviceAccount);
        try {
            List<X509Certificate> chain = signer.sign(WorkloadCsrSigner.csr(keys, id), id, ttl);
            return new WorkloadCertificate(keys.getPrivate(), chain.subList(0, chain.size() - 1));
        } catch (CsrRefusedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes key.pem, cert.pem (the leaf), intermediates.pem, chain.pem (both) and root.pem into {@code dir},
     * for openssl ({@code -cert cert.pem -cert_chain intermediates.pem -key key.pem}).
     */
    public static void write(WorkloadCertificate certificate, X509Certificate root, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("key.pem"), Pem.write(certificate.key()));
        StringBuilder chain = new StringBuilder();
        certificate.chain().forEach(c -> chain.append(Pem.write(c)));
        Files.writeString(dir.resolve("chain.pem"), chain.toString());
        Files.writeString(dir.resolve("cert.pem"), Pem.write(certificate.leaf()));
        StringBuilder intermediates = new StringBuilder();
        certificate.chain().subList(1, certificate.chain().size()).forEach(c -> intermediates.append(Pem.write(c)));
        Files.writeString(dir.resolve("intermediates.pem"), intermediates.toString());
        Files.writeString(dir.resolve("root.pem"), Pem.write(root));
    }
}
