package io.meshwork.controlplane.bench;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshwork.controlplane.AdminEndpoint;
import io.meshwork.controlplane.xds.AdsTestClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Push benchmark from a file change (a harness, not a test): the real local-mode control plane
 * ({@code LocalMode}: watched folder, loader, translator, validator, ADS server) runs as a child
 * process on a generated folder of S services × E endpoints; N simulated sidecars (distinct nodes of
 * distinct workloads, ACKing every response) connect; then a file in the folder is replaced by an
 * atomic move, as editors save, and the harness measures the time from that move until all N
 * sidecars have ACKed the new version.
 *
 * <p>Usage: {@code FilePushBenchmark [--clients 100,1000] [--services 1000] [--endpoints 10] [--rounds 5]
 * [--warmup 1] [--change split|workload] [--control-plane-xmx 4g] [--round-timeout 300]}. {@code split}
 * flips a TrafficSplit's weights (every sidecar's routes change: RDS); {@code workload} flips one
 * Workload's {@code ready} (one service's endpoints change for every sidecar: EDS).
 */
public final class FilePushBenchmark {

    private static final String NAMESPACE = "bench";

    public static void main(String[] args) throws Exception {
        Map<String, String> options = BenchFigures.options(args);
        int[] clientCounts = Arrays.stream(options.getOrDefault("clients", "100,1000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int services = Integer.parseInt(options.getOrDefault("services", "1000"));
        int endpoints = Integer.parseInt(options.getOrDefault("endpoints", "10"));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "1"));
        String change = options.getOrDefault("change", "split");
        if (!change.equals("split") && !change.equals("workload")) {
            throw new IllegalArgumentException("--change: expected split or workload, not " + change);
        }
        String xmx = options.getOrDefault("control-plane-xmx", "4g");
        Duration roundTimeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("round-timeout", "300")));
        System.out.printf("file push benchmark: %d services x %d endpoints (meshed workloads), change %s, "
                        + "%d rounds after %d warm-up, %d cores, control plane -Xmx%s%n", services, endpoints, change,
                rounds, warmup, Runtime.getRuntime().availableProcessors(), xmx);
        for (int n : clientCounts) {
            Path dir = Files.createTempDirectory("meshwork-file-push");
            try {
                run(dir, n, services, endpoints, warmup, rounds, change, xmx, roundTimeout);
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void run(Path dir, int clients, int services, int endpoints, int warmup, int rounds, String change,
                            String xmx, Duration roundTimeout) throws Exception {
        if (clients > services * endpoints) {
            throw new IllegalArgumentException("--clients " + clients + ": only " + services * endpoints + " workloads");
        }
        for (int s = 0; s < services; s++) {
            Files.writeString(dir.resolve(serviceName(s) + ".yaml"), serviceFile(s, endpoints, -1));
        }
        Files.writeString(dir.resolve("split.yaml"), split(90, 10));

        try (ChildControlPlane controlPlane = new ChildControlPlane(dir, xmx)) {
            long heapLoaded = controlPlane.heap();
            List<Node> nodes = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                // Spread over services first: client i is endpoint i / S of service i % S.
                int s = i % services;
                int e = i / services;
                nodes.add(AdsTestClient.sidecarNode(serviceName(s) + "-" + e, NAMESPACE, address(s, e)));
            }
            long connectStart = System.nanoTime();
            try (SimulatedSidecars sidecars = SimulatedSidecars.connect(controlPlane.xdsPort, nodes,
                    Duration.ofMinutes(20))) {
                double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
                long heapConnected = controlPlane.heap();
                System.out.printf("N=%d: control plane loaded the folder in %d ms; %d sidecars connected and "
                        + "configured in %.1f s; control plane heap after GC %d MB (config, no clients) -> %d MB "
                        + "(%d connected)%n", clients, controlPlane.startMillis, clients, connectSeconds,
                        heapLoaded >> 20, heapConnected >> 20, clients);

                List<Double> allAcked = new ArrayList<>();
                List<Double> perProxy = new ArrayList<>();
                List<String> loads = new ArrayList<>();
                for (int round = -warmup; round < rounds; round++) {
                    boolean even = (round + warmup) % 2 == 0;
                    String file;
                    String yaml;
                    SimulatedSidecars.Round pushed;
                    if (change.equals("split")) {
                        file = "split.yaml";
                        yaml = split(even ? 10 : 90, even ? 90 : 10);
                        pushed = sidecars.expectChange(Resources.V3.ROUTE_TYPE_URL);
                    } else {
                        file = serviceName(5 % services) + ".yaml";
                        yaml = serviceFile(5 % services, endpoints, even ? 0 : -1);
                        pushed = sidecars.expectChange(Resources.V3.ENDPOINT_TYPE_URL);
                    }
                    Path temporary = dir.resolve("." + file + ".tmp");
                    Files.writeString(temporary, yaml);
                    double[] pushBefore = controlPlane.pushLatency();
                    long start = System.nanoTime();
                    Files.move(temporary, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                    long[] ackNanos = pushed.await(roundTimeout);
                    long end = Arrays.stream(ackNanos).max().orElse(start);
                    String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
                    double[] pushAfter = controlPlane.pushLatency();
                    // The last ACKs may still be queued in the control plane: wait (up to 10 s) until it has counted all.
                    long countDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (pushAfter[1] - pushBefore[1] < clients && System.nanoTime() < countDeadline) {
                        Thread.sleep(50);
                        pushAfter = controlPlane.pushLatency();
                    }
                    // The server's own histogram: from the new MeshSnapshot (after debounce and reload) to each ACK.
                    double serverMean = (pushAfter[0] - pushBefore[0]) / Math.max(1, pushAfter[1] - pushBefore[1]) * 1e3;
                    System.out.printf("  round %d%s: all %d ACKed %.0f ms after the move; server push latency (snapshot "
                                    + "-> ACK) mean %.0f ms over %.0f ACKs (load average %s)%n",
                            round, round < 0 ? " (warm-up)" : "", clients, (end - start) / 1e6, serverMean,
                            pushAfter[1] - pushBefore[1], load);
                    if (round < 0) {
                        continue;
                    }
                    allAcked.add((end - start) / 1e6);
                    loads.add(load);
                    for (long t : ackNanos) {
                        perProxy.add((t - start) / 1e6);
                    }
                }
                long heapAfter = controlPlane.heap();
                System.out.printf("N=%d, change %s: all ACKed after the file move: p50 %.0f ms, max %.0f ms over %d "
                                + "rounds; per-sidecar ACK p50 %.0f ms, p99 %.0f ms; control plane heap after GC %d MB "
                                + "after the rounds; load average (1 min) at the rounds: %s%n",
                        clients, change, BenchFigures.median(allAcked), BenchFigures.max(allAcked), allAcked.size(),
                        BenchFigures.percentile(perProxy, 50), BenchFigures.percentile(perProxy, 99), heapAfter >> 20,
                        String.join(", ", loads));
            }
        }
    }

    private static String serviceName(int s) {
        return "svc-%04d".formatted(s);
    }

    private static String address(int s, int e) {
        return "10." + (s / 250) + "." + (s % 250) + "." + (e + 1);
    }

    /** One file per service: the Service and its meshed Workloads; workload {@code notReady} (if ≥ 0) is not ready. */
    private static String serviceFile(int s, int endpoints, int notReady) {
        String name = serviceName(s);
        StringBuilder yaml = new StringBuilder("""
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: %s}
                spec:
                  selector: {app: %s}
                  ports: [{name: http, port: 8080, targetPort: http}]
                """.formatted(name, NAMESPACE, name));
        for (int e = 0; e < endpoints; e++) {
            yaml.append("""
                    ---
                    apiVersion: meshwork.io/v1alpha1
                    kind: Workload
                    metadata: {name: %s-%d, namespace: %s, labels: {app: %s, version: v1}}
                    spec:
                      address: %s
                      ports: {http: 15080}
                      appPorts: {http: 8080}
                      serviceAccount: %s
                      locality: {region: r, zone: z%d}
                      ready: %s
                    """.formatted(name, e, NAMESPACE, name, address(s, e), name, e % 3, e != notReady));
        }
        return yaml.toString();
    }

    /** A TrafficSplit of svc-0000 between svc-0001 and svc-0002. */
    private static String split(int w1, int w2) {
        return """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: svc-0000-split, namespace: %s}
                spec:
                  service: %s
                  backends:
                  - {service: %s, weight: %d}
                  - {service: %s, weight: %d}
                """.formatted(NAMESPACE, serviceName(0), serviceName(1), w1, serviceName(2), w2);
    }

    /** {@link LocalControlPlaneProcess} in a JVM of its own, on this JVM's class path. */
    private static final class ChildControlPlane implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final PrintWriter in;
        private final AdminEndpoint admin;
        final int xdsPort;
        final long startMillis;

        ChildControlPlane(Path dir, String xmx) throws IOException {
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + xmx, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), LocalControlPlaneProcess.class.getName(),
                    dir.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            String[] ports = expect("ports");
            xdsPort = Integer.parseInt(ports[1]);
            admin = new AdminEndpoint(Integer.parseInt(ports[2]));
            startMillis = Long.parseLong(ports[3]);
        }

        /** The child's heap in use after GC, in bytes. */
        long heap() throws IOException {
            in.println("heap");
            return Long.parseLong(expect("heap")[1]);
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
}
