package io.meshwork.controlplane.bench;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.LocalMode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The control plane as a child process of a push benchmark ({@link ChildControlPlane}), so that its heap
 * is measured without the simulated clients (and without the mock API server). Arguments:
 * {@code local <config dir>} or {@code kubernetes <kubeconfig>}. Prints {@code ports <xds> <admin> <start ms>}
 * once serving; answers each {@code heap} line on stdin with {@code heap <bytes used after GC>}; exits
 * when stdin closes.
 */
final class ControlPlaneProcess {

    private ControlPlaneProcess() {
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        ControlPlane.Options options = new ControlPlane.Options("127.0.0.1", 0, 0);
        ControlPlane configured = switch (args[0]) {
            case "local" -> LocalMode.controlPlane(options, Path.of(args[1]));
            case "kubernetes" -> KubernetesMode.controlPlane(options, KubernetesMode.client(Path.of(args[1]), null));
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
