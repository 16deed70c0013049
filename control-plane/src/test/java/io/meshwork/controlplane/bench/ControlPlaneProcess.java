package io.meshwork.controlplane.bench;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The control plane as a child process of a push benchmark ({@link ChildControlPlane}), so that its heap
 * is measured without the simulated clients (and without the mock API server). Arguments:
 * {@code local <config dir>} or {@code kubernetes <kubeconfig> [<cluster>=<kubeconfig>...]} (with remote clusters:
 * this one is {@value #LOCAL_CLUSTER}, the others are read as {@code --remote-kubeconfig} reads them). Prints {@code ports <xds> <admin> <start ms>}
 * once serving; answers each {@code heap} line on stdin with {@code heap <bytes used after GC>}; exits
 * when stdin closes.
 */
final class ControlPlaneProcess {

    static final String LOCAL_CLUSTER = "cluster-0";

    private ControlPlaneProcess() {
    }

    /** Cluster {@value #LOCAL_CLUSTER} of a multi-cluster mesh, reading the clusters {@code args[2..]} name too. */
    private static ControlPlane multiCluster(ControlPlane.Options options, String[] args) throws java.io.IOException {
        RemoteClusters remotes = new RemoteClusters(LOCAL_CLUSTER, RemoteClusters.DEFAULT_STALE_AFTER);
        for (String remote : java.util.Arrays.asList(args).subList(2, args.length)) {
            String[] named = remote.split("=", 2);
            remotes.add(named[0], KubernetesMode.client(Path.of(named[1]), null), named[1]);
        }
        KubernetesMode.LeaderElection election = KubernetesMode.LeaderElection.fromEnvironment();
        return KubernetesMode.controlPlane(options, KubernetesMode.client(Path.of(args[1]), null), election,
                java.util.List.of(), LOCAL_CLUSTER, remotes);
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        ControlPlane.Options options = new ControlPlane.Options("127.0.0.1", 0, 0);
        ControlPlane configured = switch (args[0]) {
            case "local" -> LocalMode.controlPlane(options, Path.of(args[1]));
            case "kubernetes" -> args.length == 2
                    ? KubernetesMode.controlPlane(options, KubernetesMode.client(Path.of(args[1]), null))
                    : multiCluster(options, args);
            default -> throw new IllegalArgumentException("expected local DIR or kubernetes KUBECONFIG, not " + args[0]);
        };
        try (ControlPlane controlPlane = configured.start()) {
            System.out.printf("ports %d %d %d%n", controlPlane.xdsPort(), controlPlane.adminPort(),
                    (System.nanoTime() - start) / 1_000_000);
            System.out.flush();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                if (line.equals("heap")) {
                    System.out.println("heap " + BenchFigures.heapUsedAfterGc());
                    System.out.flush();
                }
            }
        }
    }
}
