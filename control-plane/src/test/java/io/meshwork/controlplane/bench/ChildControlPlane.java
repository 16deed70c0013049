package io.meshwork.controlplane.bench;

import io.meshwork.controlplane.AdminEndpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link ControlPlaneProcess} in a JVM of its own, on this JVM's class path: its ports, heap and metrics. */
final class ChildControlPlane implements AutoCloseable {

    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;
    private final AdminEndpoint admin;
    final int xdsPort;
    /** From the child's main until it served (for Kubernetes mode: informers listed, first snapshot built). */
    final long startMillis;

    private ChildControlPlane(String xmx, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + xmx, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), ControlPlaneProcess.class.getName()));
        command.addAll(List.of(arguments));
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String[] ports = expect("ports");
        xdsPort = Integer.parseInt(ports[1]);
        admin = new AdminEndpoint(Integer.parseInt(ports[2]));
        startMillis = Long.parseLong(ports[3]);
    }

    /** Local mode on {@code configDir}. */
    static ChildControlPlane local(Path configDir, String xmx) throws IOException {
        return new ChildControlPlane(xmx, "local", configDir.toString());
    }

    /**
     * Kubernetes mode on the cluster {@code kubeconfig} names, reading the {@code remotes} clusters (name to
     * kubeconfig) too: none for one cluster.
     */
    static ChildControlPlane kubernetes(Path kubeconfig, java.util.Map<String, Path> remotes, String xmx) throws IOException {
        List<String> arguments = new ArrayList<>(List.of("kubernetes", kubeconfig.toString()));
        remotes.forEach((name, file) -> arguments.add(name + "=" + file));
        return new ChildControlPlane(xmx, arguments.toArray(String[]::new));
    }

    /** The child's heap in use after GC, in bytes. */
    long heap() throws IOException {
        in.println("heap");
        return Long.parseLong(expect("heap")[1]);
    }

    /** CPU time the child has used so far, all its threads, in nanoseconds: what a change costs whatever the load. */
    long cpuNanos() {
        return process.toHandle().info().totalCpuDuration()
                .orElseThrow(() -> new IllegalStateException("no CPU time for process " + process.pid())).toNanos();
    }

    /** {@code mesh_controlplane_push_latency_seconds} sum (seconds) and count, from the admin endpoint. */
    double[] pushLatency() throws IOException, InterruptedException {
        return new double[] {admin.metric("mesh_controlplane_push_latency_seconds_sum"),
                admin.metric("mesh_controlplane_push_latency_seconds_count")};
    }

    private String[] expect(String word) throws IOException {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith(word + " ")) {
                return line.split(" ");
            }
        }
        throw new IOException("control plane process closed its output before printing " + word
                + (process.isAlive() ? "" : " (exit " + process.exitValue() + ")"));
    }

    @Override
    public void close() throws InterruptedException {
        in.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
