package io.meshwork.controlplane.bench;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The local-mode control plane as a child process of {@link FilePushBenchmark}, so that its heap is
 * measured without the simulated clients. Prints {@code ports <xds> <admin> <start ms>} once serving;
 * answers each {@code heap} line on stdin with {@code heap <bytes used after GC>}; exits when stdin closes.
 */
final class LocalControlPlaneProcess {

    private LocalControlPlaneProcess() {
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        try (ControlPlane controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                Path.of(args[0])).start()) {
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
