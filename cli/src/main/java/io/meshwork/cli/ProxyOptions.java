package io.meshwork.cli;

import io.meshwork.certs.SpiffeId;
import io.meshwork.proxy.identity.CaClient;
import io.meshwork.proxy.SidecarProxy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The flags {@code mesh proxy} and {@code mesh gateway} share (a picocli mixin): the control plane, the proxy's identity
 * and certificate, and where its admin, health and metrics ports listen.
 */
final class ProxyOptions {

    @Option(names = "--xds", required = true, paramLabel = "HOST:PORT",
            description = "The control plane's xDS (ADS) address: plaintext 15010, or its CA address (15012, the same "
                    + "as --ca-address) for xDS over TLS authenticated with --token-file, served only this proxy's config.")
    String xds;

    @Option(names = "--namespace", paramLabel = "NAMESPACE", required = true, description = "The namespace of the workload (mesh proxy) or Gateway (mesh gateway).")
    String namespace;

    @Option(names = "--service-account", paramLabel = "SERVICE_ACCOUNT", defaultValue = "default", description = "Default: ${DEFAULT-VALUE}.")
    String serviceAccount;

    @Option(names = "--instance", paramLabel = "INSTANCE", description = "Instance id in the xDS node id (default: host name and pid).")
    String instance;

    @Option(names = "--bind-address", paramLabel = "BIND_ADDRESS", defaultValue = "127.0.0.1", description = "Default: ${DEFAULT-VALUE}.")
    String bindAddress;

    @Option(names = "--admin-bind-address", paramLabel = "ADMIN_BIND_ADDRESS", defaultValue = SidecarProxy.LOOPBACK,
            description = "Where the admin port (config dump, POST /drain, POST /quitquitquit) listens; health and "
                    + "metrics listen on --bind-address. Default: ${DEFAULT-VALUE}.")
    String adminBindAddress;

    @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "15000", description = "Default: ${DEFAULT-VALUE}.")
    int adminPort;

    @Option(names = "--health-port", paramLabel = "PORT", defaultValue = "15021", description = "Default: ${DEFAULT-VALUE}.")
    int healthPort;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "15090", description = "Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--drain-timeout", paramLabel = "DRAIN_TIMEOUT", defaultValue = "5s",
            description = "How long requests in flight may take after SIGTERM (e.g. 5s, 500ms). Default: ${DEFAULT-VALUE}.")
    String drainTimeout;

    @Option(names = "--concurrency", paramLabel = "CONCURRENCY", defaultValue = "1",
            description = "Event-loop threads (as Envoy's --concurrency). Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Workload token (mesh token create) proving this proxy's identity to the CA; with it the "
                    + "proxy makes its key and gets its certificate from --ca-address, renewed at half its lifetime.")
    Path tokenFile;

    @Option(names = "--ca-address", defaultValue = "127.0.0.1:15012", paramLabel = "HOST:PORT",
            description = "The control plane's CA service (default: ${DEFAULT-VALUE}).")
    String caAddress;

    @Option(names = "--ca-root-file", paramLabel = "FILE",
            description = "The mesh's root certificate (root-cert.pem of the control plane's --ca-dir): whom to trust as the CA.")
    Path caRootFile;

    @Option(names = "--trust-domain", defaultValue = "cluster.local", paramLabel = "DOMAIN",
            description = "Trust domain of this proxy's SPIFFE ID (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--workload-cert-ttl", defaultValue = "0s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Certificate lifetime to ask for; 0s takes the CA's default (default: ${DEFAULT-VALUE}).")
    Duration workloadCertTtl;

    /** Checks what picocli cannot: {@code --xds} is HOST:PORT. */
    void check() {
        if (!xds.contains(":")) {
            throw new IllegalArgumentException("--xds: \"" + xds + "\" is not HOST:PORT");
        }
    }

    /** {@code --instance}, or the host name and pid. */
    String instanceId() throws UnknownHostException {
        return instance != null ? instance
                : InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
    }

    /** Starts {@code proxy}, drains it on SIGTERM (requests in flight finish up to the drain timeout), waits for its end. */
    int run(SidecarProxy proxy, CaClient certificates) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::drainAndStop, "sigterm-drain"));
        proxy.start();
        proxy.awaitStopped();
        if (certificates != null) {
            certificates.close();
        }
        return 0;
    }

    String adminAddress() {
        return advertised(adminBindAddress, adminPort);
    }

    String metricsAddress() {
        return advertised(bindAddress, metricsPort);
    }

    /** With --token-file: the first certificate before the sidecar starts, then renewals in the background. */
    CaClient workloadCertificates() {
        if (tokenFile == null) {
            return null;
        }
        if (caRootFile == null) {
            throw new IllegalArgumentException("--token-file needs --ca-root-file (the mesh's root-cert.pem) to trust the CA");
        }
        if (!Files.isReadable(tokenFile)) {
            throw new IllegalArgumentException("--token-file " + tokenFile + ": cannot be read");
        }
        awaitRootFile();
        SpiffeId identity = new SpiffeId(trustDomain, namespace, serviceAccount);
        return new CaClient(new CaClient.Options(caAddress, caRootFile, tokenFile, identity, workloadCertTtl))
                .start(Duration.ofSeconds(30));
    }

    /**
     * In a pod the root file is the control plane's ConfigMap, mounted optional so that pods start before it exists; the
     * kubelet fills the mount within a minute or so of its creation. Waits that long, saying so once, then gives up
     * with one line naming the file.
     */
    private void awaitRootFile() {
        Duration wait = Duration.ofSeconds(Long.getLong("meshwork.rootFileWaitSeconds", 120));
        long deadline = System.nanoTime() + wait.toNanos();
        boolean said = false;
        while (!Files.isReadable(caRootFile)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalArgumentException("--ca-root-file " + caRootFile + ": not there after "
                        + wait.toSeconds() + "s (in a pod: is the control plane running and publishing ConfigMap "
                        + "meshwork-ca-root-cert?)");
            }
            if (!said) {
                System.err.println("waiting for " + caRootFile + " (the mesh's root certificate) ...");
                said = true;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + caRootFile, e);
            }
        }
    }

    /** Where others reach one of this sidecar's ports: the bind address, or the pod's IP when bound to all. */
    private static String advertised(String bindAddress, int port) {
        String host = bindAddress;
        if (host.equals("0.0.0.0") || host.equals("::")) {
            String podIp = System.getenv("INSTANCE_IP");
            host = podIp == null || podIp.isBlank() ? "127.0.0.1" : podIp;
        }
        return host + ":" + port;
    }

    /** Parses {@code 5s}, {@code 500ms}, {@code 1m}, plain seconds, or an ISO-8601 duration. */
    static Duration duration(String text) {
        try {
            return DurationConverter.parse(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--drain-timeout: \"" + text + "\" is not a duration like 5s or 500ms");
        }
    }
}
