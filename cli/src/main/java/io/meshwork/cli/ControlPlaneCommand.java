package io.meshwork.cli;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.source.local.ConfigInputLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mesh control-plane}: serves xDS to the mesh from a folder of YAML files (local mode) or from
 * a Kubernetes cluster (Kubernetes mode).
 */
@Command(name = "control-plane",
        description = "Run the control plane: read the mesh from a folder of YAML files or from a Kubernetes cluster, "
                + "watch it, and serve xDS.")
public final class ControlPlaneCommand implements Callable<Integer> {

    /** Where the mesh is read from: exactly one of the two. */
    static final class Source {
        @Option(names = "--config-dir", required = true, paramLabel = "DIR",
                description = "Folder of *.yaml files (Service, Workload, TrafficSplit, HTTPRouteGroup); watched for changes.")
        Path configDir;

        @Option(names = "--kubernetes", required = true,
                description = "Read the cluster: Services, Pods, EndpointSlices, Nodes, TrafficSplits, HTTPRouteGroups "
                        + "(in a pod: its service account; else --kubeconfig, $KUBECONFIG or ~/.kube/config).")
        boolean kubernetes;
    }

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Kubeconfig file for --kubernetes.")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "CONTEXT", description = "Kubeconfig context for --kubernetes (default: its current one).")
    String context;

    @Option(names = "--cluster", paramLabel = "NAME", description = "This cluster's name in a multi-cluster mesh, stamped "
            + "on its endpoints (with --kubernetes).")
    String cluster;

    @Option(names = "--remote-kubeconfig", paramLabel = "NAME=FILE", description = "Another cluster of the mesh whose "
            + "Services and endpoints join this one's (repeatable; with --kubernetes).")
    List<String> remoteKubeconfigs = new java.util.ArrayList<>();

    @Option(names = "--multicluster", description = "Also take remote clusters from kubeconfig Secrets labelled "
            + "meshwork.io/multicluster=true in the control plane's namespace, added and dropped while running (with "
            + "--kubernetes).")
    boolean multicluster;

    @Option(names = "--remote-stale-after", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long a remote cluster that stops answering keeps its last endpoints (default: ${DEFAULT-VALUE}).")
    java.time.Duration remoteStaleAfter;

    @Option(names = "--xds-port", defaultValue = "15010", paramLabel = "PORT", description = "xDS (ADS) gRPC port (default: ${DEFAULT-VALUE}).")
    int xdsPort;

    @Option(names = "--admin-port", defaultValue = "15014", paramLabel = "PORT",
            description = "Admin HTTP port: /ready, /debug/proxies, /metrics (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--address", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address both servers bind (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--max-config-file-size", defaultValue = "8MiB", paramLabel = "SIZE",
            description = "Largest config file read; a larger one is refused before parsing, keeping what was last "
                    + "accepted from it (bytes, or with KiB/MiB; default: ${DEFAULT-VALUE}).")
    String maxConfigFileSize;

    @Option(names = "--ca-port", defaultValue = "15012", paramLabel = "PORT",
            description = "CA service port, gRPC over TLS: sidecars send their CSR here (default: ${DEFAULT-VALUE}).")
    int caPort;

    @CommandLine.Mixin
    CaOptions ca;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ControlPlane.Options options = new ControlPlane.Options(address, xdsPort, adminPort);
        io.meshwork.certs.WorkloadCsrSigner signer = ca.signer(spec);
        io.meshwork.controlplane.model.TrustBundle trust = ca.trustBundle(signer);
        io.meshwork.controlplane.source.kubernetes.RootCertConfigMaps rootCerts = null;
        ControlPlane controlPlane;
        io.meshwork.controlplane.ca.CallerAuthenticator authenticator;
        if (source.kubernetes) {
            if (kubeconfig != null && !Files.isRegularFile(kubeconfig)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--kubeconfig " + kubeconfig + ": not a file");
            }
            io.fabric8.kubernetes.client.KubernetesClient client = io.meshwork.controlplane.KubernetesMode.client(kubeconfig, context);
            // Sidecars trust the CA through this ConfigMap, which the injector mounts into every pod; the leader writes it.
            rootCerts = io.meshwork.controlplane.source.kubernetes.RootCertConfigMaps.follower(client, trust.pemBundle()).start();
            io.meshwork.controlplane.KubernetesMode.LeaderElection election =
                    io.meshwork.controlplane.KubernetesMode.LeaderElection.fromEnvironment();
            controlPlane = io.meshwork.controlplane.KubernetesMode.controlPlane(options, client, election,
                    List.of(rootCerts::leading), cluster, remoteClusters(client, election.namespace()));
            // Sidecars prove who they are with their projected ServiceAccount token, reviewed by the API server.
            authenticator = new io.meshwork.controlplane.ca.TokenReviews(client, ca.trustDomain);
        } else {
            if (kubeconfig != null || context != null || cluster != null || !remoteKubeconfigs.isEmpty() || multicluster) {
                throw new CommandLine.ParameterException(spec.commandLine(), (kubeconfig != null ? "--kubeconfig"
                        : context != null ? "--context" : cluster != null ? "--cluster"
                        : multicluster ? "--multicluster" : "--remote-kubeconfig") + ": only with --kubernetes");
            }
            if (!Files.isDirectory(source.configDir)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--config-dir " + source.configDir + ": not a directory");
            }
            long maxFileBytes = byteSize(maxConfigFileSize);
            controlPlane = wire(options, source.configDir, ConfigInputLimits.DEFAULT.withMaxFileBytes(maxFileBytes));
            authenticator = ca.authenticator();
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                controlPlane.close();
            } catch (Exception e) {
                System.err.println("error: stopping the control plane: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "control-plane-shutdown"));
        controlPlane.trust(trust);
        controlPlane.start();
        if (rootCerts != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(rootCerts::close, "root-cert-configmaps-shutdown"));
        }
        io.meshwork.controlplane.ca.CaServer caServer = new io.meshwork.controlplane.ca.CaServer(
                new java.net.InetSocketAddress(address, caPort), signer, authenticator, controlPlane.meters(),
                controlPlane.issuedCertificates(), controlPlane.aggregatedDiscoveryService()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                caServer.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ca-shutdown"));
        stopped.await();
        return 0;
    }

    /** The remote clusters of --remote-kubeconfig and, with --multicluster, of the Secrets; null for one cluster. */
    private io.meshwork.controlplane.source.kubernetes.RemoteClusters remoteClusters(
            io.fabric8.kubernetes.client.KubernetesClient local, String namespace) throws java.io.IOException {
        if (remoteKubeconfigs.isEmpty() && !multicluster) {
            return null;
        }
        if (cluster == null || cluster.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--cluster NAME: a multi-cluster control plane needs its cluster's name");
        }
        var remotes = new io.meshwork.controlplane.source.kubernetes.RemoteClusters(cluster, remoteStaleAfter);
        for (String remote : remoteKubeconfigs) {
            int eq = remote.indexOf('=');
            Path file = eq > 0 ? Path.of(remote.substring(eq + 1)) : null;
            if (file == null || !Files.isRegularFile(file)) {
                remotes.close();
                throw new CommandLine.ParameterException(spec.commandLine(), "--remote-kubeconfig " + remote
                        + ": expected NAME=FILE with an existing kubeconfig file");
            }
            remotes.add(remote.substring(0, eq), io.meshwork.controlplane.KubernetesMode.client(file, null),
                    "--remote-kubeconfig " + file);
        }
        if (multicluster) {
            remotes.watchSecrets(local, namespace);
        }
        return remotes;
    }

    /** "8MiB", "512KiB", "1048576": bytes. */
    private long byteSize(String text) {
        String t = text.trim();
        long unit = 1;
        if (t.endsWith("MiB")) {
            unit = 1L << 20;
            t = t.substring(0, t.length() - 3);
        } else if (t.endsWith("KiB")) {
            unit = 1L << 10;
            t = t.substring(0, t.length() - 3);
        }
        try {
            long bytes = Math.multiplyExact(Long.parseLong(t.trim()), unit);
            if (bytes >= 1 && bytes < (1L << 31) - 8) {
                return bytes;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "--max-config-file-size " + text
                + ": not a size between 1 byte and 2 GiB (bytes, or a number with KiB or MiB)");
    }

    static ControlPlane wire(ControlPlane.Options options, Path configDir, ConfigInputLimits limits) {
        return io.meshwork.controlplane.LocalMode.controlPlane(options, configDir, limits);
    }
}
