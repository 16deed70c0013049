package io.meshwork.cli;

import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.proxy.identity.CaClient;
import io.meshwork.proxy.identity.WorkloadCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mesh cert-agent}: what a sidecar's CA client does, for a proxyless gRPC process: makes a key, gets the
 * workload certificate from the CA with the workload's token, and keeps the three PEM files that grpc-java's
 * {@code file_watcher} certificate provider reads ({@code cert-chain.pem}, {@code key.pem}, {@code root-cert.pem})
 * current, renewing at half the lifetime. Each file is replaced atomically, key first, so the watcher never reads a
 * half-written one.
 */
@Command(name = "cert-agent", description = {
        "Keep a proxyless gRPC process's certificate files current: cert-chain.pem, key.pem and root-cert.pem in --out,",
        "as grpc-java's file_watcher certificate provider reads them (see README, Proxyless gRPC)."})
final class CertAgentCommand implements Callable<Integer> {

    @Option(names = "--token-file", required = true, paramLabel = "FILE",
            description = "The workload's token (mesh token create; in a pod, its projected ServiceAccount token).")
    Path tokenFile;

    @Option(names = "--ca-address", defaultValue = "127.0.0.1:15012", paramLabel = "HOST:PORT",
            description = "The control plane's CA service (default: ${DEFAULT-VALUE}).")
    String caAddress;

    @Option(names = "--ca-root-file", required = true, paramLabel = "FILE",
            description = "The mesh's root certificate: whom to trust as the CA (copied to --out as root-cert.pem).")
    Path caRootFile;

    @Option(names = {"--namespace", "-n"}, required = true, paramLabel = "NAMESPACE", description = "The workload's namespace.")
    String namespace;

    @Option(names = "--service-account", required = true, paramLabel = "SA", description = "The workload's service account.")
    String serviceAccount;

    @Option(names = "--trust-domain", defaultValue = "cluster.local", paramLabel = "DOMAIN",
            description = "Trust domain of the SPIFFE ID (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--workload-cert-ttl", defaultValue = "0s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Certificate lifetime to ask for; 0s takes the CA's default (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the three files go.")
    Path out;

    @Option(names = "--once", description = "Write the files once and exit, instead of renewing them until stopped.")
    boolean once;

    @Override
    public Integer call() throws Exception {
        if (!Files.isReadable(tokenFile)) {
            throw new IllegalArgumentException("--token-file " + tokenFile + ": cannot be read");
        }
        if (!Files.isReadable(caRootFile)) {
            throw new IllegalArgumentException("--ca-root-file " + caRootFile + ": cannot be read");
        }
        Files.createDirectories(out);
        SpiffeId identity = new SpiffeId(trustDomain, namespace, serviceAccount);
        CaClient client = new CaClient(new CaClient.Options(caAddress, caRootFile, tokenFile, identity, ttl));
        try (client) {
            client.onChange(this::write);
            client.start(Duration.ofSeconds(30));
            write(client.current());
            if (once) {
                return 0;
            }
            System.err.println("cert-agent ready: " + identity + " in " + out.toAbsolutePath()
                    + " (cert-chain.pem, key.pem, root-cert.pem), renewed at half its lifetime");
            new CountDownLatch(1).await();
            return 0;
        }
    }

    private synchronized void write(WorkloadCertificate certificate) {
        try {
            StringBuilder chain = new StringBuilder();
            for (X509Certificate c : certificate.chain()) {
                chain.append(Pem.write(c));
            }
            replace("key.pem", Pem.write(certificate.key()), true);
            replace("cert-chain.pem", chain.toString(), false);
            replace("root-cert.pem", Files.readString(caRootFile), false);
            System.err.println("cert-agent: wrote a certificate (serial " + certificate.leaf().getSerialNumber().toString(16)
                    + ") valid until " + certificate.notAfter());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the certificate files in " + out + ": " + e.getMessage(), e);
        }
    }

    private void replace(String name, String text, boolean secret) throws IOException {
        Path temporary = out.resolve("." + name + ".tmp");
        Files.deleteIfExists(temporary);
        if (secret) {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(temporary, text);
        Files.move(temporary, out.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
