package io.meshwork.cli;

import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.WorkloadCsrSigner;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The control plane's CA flags: where its CA lives and what workload certificates it signs. */
public final class CaOptions {

    private static final Logger LOG = LoggerFactory.getLogger(CaOptions.class);

    @Option(names = "--ca-dir", paramLabel = "DIR",
            description = "The CA's folder, Istio's cacerts names: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem "
                    + "(from mesh certs). An empty or missing folder gets a new self-signed root. "
                    + "Without it, the root is made in memory and lost at exit.")
    Path caDir;

    @Option(names = "--trust-domain", defaultValue = "cluster.local", paramLabel = "DOMAIN",
            description = "Trust domain of workload identities, spiffe://DOMAIN/ns/N/sa/SA (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--workload-cert-ttl", defaultValue = "24h", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Lifetime of a workload certificate when the sidecar asks for none (default: ${DEFAULT-VALUE}).")
    Duration workloadCertTtl;

    @Option(names = "--max-workload-cert-ttl", defaultValue = "2160h", paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Longest workload certificate lifetime a sidecar may ask for (default: ${DEFAULT-VALUE}, 90 days, as Istio).")
    Duration maxWorkloadCertTtl;

    /** Loads (or makes) the CA and the signer; a CA that cannot load is one line naming the file. */
    WorkloadCsrSigner signer(CommandLine.Model.CommandSpec spec) {
        if (workloadCertTtl.isNegative() || workloadCertTtl.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--workload-cert-ttl " + DurationConverter.format(workloadCertTtl) + ": must be positive");
        }
        if (workloadCertTtl.compareTo(maxWorkloadCertTtl) > 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--workload-cert-ttl "
                    + DurationConverter.format(workloadCertTtl) + " is longer than --max-workload-cert-ttl "
                    + DurationConverter.format(maxWorkloadCertTtl));
        }
        return new WorkloadCsrSigner(authority(spec), workloadCertTtl, maxWorkloadCertTtl);
    }

    /**
     * What sidecars trust: every certificate of the CA folder's {@code root-cert.pem} (during a root rotation
     * it holds the new root beside the old one, as Istio's does), else the CA's own root.
     */
    io.meshwork.controlplane.model.TrustBundle trustBundle(WorkloadCsrSigner signer) {
        java.util.List<java.security.cert.X509Certificate> roots = caDir == null
                ? java.util.List.of(signer.ca().root())
                : io.meshwork.certs.Pem.readCertificates(caDir.resolve(CaDirectory.ROOT_CERT));
        return new io.meshwork.controlplane.model.TrustBundle(trustDomain,
                roots.stream().map(io.meshwork.certs.Pem::write).toList());
    }

    /** Who may ask for certificates: holders of a workload token signed with the CA folder's token key. */
    io.meshwork.controlplane.ca.CallerAuthenticator authenticator() {
        if (caDir == null) {
            LOG.info("CA: workload tokens are checked with a key made in memory; use --ca-dir so that "
                    + "mesh token create can make tokens this control plane accepts");
            return io.meshwork.controlplane.ca.WorkloadTokens.inMemory(trustDomain);
        }
        return io.meshwork.controlplane.ca.WorkloadTokens.inFolder(caDir, trustDomain);
    }

    private CertificateAuthority authority(CommandLine.Model.CommandSpec spec) {
        if (caDir == null) {
            CertificateAuthority root = CertificateAuthority.createSelfSigned("meshwork root CA", CaDirectory.ROOT_VALIDITY);
            LOG.info("CA: generated a self-signed root in memory (no --ca-dir: certificates will not be trusted "
                    + "after a restart)");
            return root;
        }
        CaDirectory.Loaded loaded;
        try {
            loaded = CaDirectory.loadOrCreate(caDir, "meshwork root CA");
        } catch (RuntimeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ca-dir: " + e.getMessage());
        }
        CertificateAuthority ca = loaded.ca();
        if (loaded.created()) {
            LOG.info("CA: generated a self-signed root in {} (valid until {}); its root-key.pem signs intermediates "
                    + "(mesh certs intermediate)", caDir, ca.notAfter());
        } else {
            LOG.info("CA: loaded {} from {}, root {}, valid until {}", ca.certificate().getSubjectX500Principal(), caDir,
                    ca.root().getSubjectX500Principal(), ca.notAfter());
        }
        return ca;
    }
}
