package io.meshwork.controlplane.bench;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * The measured part of the push benchmarks: rounds of one change, each timed from the moment it is
 * written until every simulated sidecar has ACKed a new version of the type it changes, while
 * counting the responses of every type the sidecars got in the round (so a change that re-sends
 * more than its own type shows).
 */
final class PushRounds {

    /** After the last ACK of a round, how long responses of other types (and the control plane's CPU) still count for it. */
    private static final Duration SETTLE = Duration.ofSeconds(1);

    /** Readies round {@code round}'s change off the clock and returns the write that starts it. */
    interface Change {
        Write prepare(int round) throws Exception;
    }

    /** The write the round is timed from: a file moved into place, an object updated in the API server. */
    interface Write {
        void run() throws Exception;
    }

    /** The measured rounds (warm-up left out). */
    record Summary(List<Double> allAckedMillis, List<Double> perSidecarMillis, List<Double> cpuMillis,
                   List<String> loads, Map<String, Integer> responses, int clients) {

        /** All-ACKed p50 and max, per-sidecar p50 and p99, responses per type and per sidecar, loads. */
        String describe() {
            int rounds = allAckedMillis.size();
            String perType = responses.entrySet().stream()
                    .map(e -> "%s %.2f".formatted(SimulatedSidecars.shortName(e.getKey()),
                            e.getValue() / (double) Math.max(1, rounds * clients)))
                    .collect(Collectors.joining(", "));
            return ("all ACKed: p50 %.0f ms, max %.0f ms over %d rounds; per-sidecar ACK p50 %.0f ms, p99 %.0f ms; "
                    + "control plane CPU per change p50 %.0f ms (max %.0f); responses per sidecar per round: %s; "
                    + "load average (1 min) at the rounds: %s").formatted(
                    BenchFigures.median(allAckedMillis), BenchFigures.max(allAckedMillis), rounds,
                    BenchFigures.percentile(perSidecarMillis, 50), BenchFigures.percentile(perSidecarMillis, 99),
                    BenchFigures.median(cpuMillis), BenchFigures.max(cpuMillis), perType, String.join(", ", loads));
        }
    }

    private PushRounds() {
    }

    /** The options the push benchmarks share; {@code change} is one of the benchmark's kinds of change, the first by default. */
    record Options(int[] clients, int rounds, int warmup, String change, String xmx, Duration roundTimeout) {

        static Options parse(Map<String, String> options, List<String> changes) {
            String change = options.getOrDefault("change", changes.get(0));
            if (!changes.contains(change)) {
                throw new IllegalArgumentException("--change: expected " + String.join(" or ", changes) + ", not " + change);
            }
            return new Options(Arrays.stream(options.getOrDefault("clients", "100,1000").split(","))
                    .mapToInt(Integer::parseInt).toArray(),
                    Integer.parseInt(options.getOrDefault("rounds", "5")),
                    Integer.parseInt(options.getOrDefault("warmup", "1")), change,
                    options.getOrDefault("control-plane-xmx", "4g"),
                    Duration.ofSeconds(Long.parseLong(options.getOrDefault("round-timeout", "300"))));
        }

        /** For the first line of the output. */
        String describe() {
            return "change %s, %d rounds after %d warm-up, %d cores, control plane -Xmx%s".formatted(change, rounds, warmup,
                    Runtime.getRuntime().availableProcessors(), xmx);
        }
    }

    /** The sidecars once connected and configured, and the control plane's heap before and after. */
    record Connected(SimulatedSidecars sidecars, long heapConfigOnly, long heapConnected, double connectSeconds)
            implements AutoCloseable {

        String describe() {
            int n = sidecars.size();
            return ("%d sidecars connected and configured in %.1f s; control plane heap after GC %d MB (config, no "
                    + "clients) -> %d MB (%d connected): %.2f MB per connected sidecar").formatted(n, connectSeconds,
                    heapConfigOnly >> 20, heapConnected >> 20, n, (heapConnected - heapConfigOnly) / (double) n / (1 << 20));
        }

        @Override
        public void close() throws InterruptedException {
            sidecars.close();
        }
    }

    /**
     * Connects {@code clients} sidecars, spread over the services first (client i is instance i / S of
     * service i % S, {@code sidecarOf(service, instance)}), measuring the control plane's heap before and after.
     */
    static Connected connect(ChildControlPlane controlPlane, int clients, int services,
                             BiFunction<Integer, Integer, Node> sidecarOf) throws Exception {
        // A source may still be rebuilding for events that came in as it started (the informers'): not measured.
        Thread.sleep(2 * SETTLE.toMillis());
        long heapConfigOnly = controlPlane.heap();
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            nodes.add(sidecarOf.apply(i % services, i / services));
        }
        long start = System.nanoTime();
        SimulatedSidecars sidecars = SimulatedSidecars.connect(controlPlane.xdsPort, nodes, Duration.ofMinutes(20));
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Connected(sidecars, heapConfigOnly, controlPlane.heap(), seconds);
    }

    /**
     * Runs {@code warmup} + {@code rounds} rounds of {@code change}, each expecting every sidecar to ACK a
     * new {@code typeUrl} version; prints one line per round (the write named {@code written}).
     */
    static Summary run(ChildControlPlane controlPlane, SimulatedSidecars sidecars, String typeUrl, String written,
                       int warmup, int rounds, Duration roundTimeout, Change change) throws Exception {
        int clients = sidecars.size();
        List<Double> allAcked = new ArrayList<>();
        List<Double> perSidecar = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<String> loads = new ArrayList<>();
        Map<String, Integer> responses = new LinkedHashMap<>();
        SimulatedSidecars.TYPES.forEach(type -> responses.put(type, 0));
        for (int round = -warmup; round < rounds; round++) {
            Write write = change.prepare(round);
            SimulatedSidecars.Round pushed = sidecars.expectChange(typeUrl);
            double[] pushBefore = controlPlane.pushLatency();
            long cpuBefore = controlPlane.cpuNanos();
            long harnessCpuBefore = harnessCpuNanos();
            long start = System.nanoTime();
            write.run();
            long[] ackNanos = pushed.await(roundTimeout);
            long end = Arrays.stream(ackNanos).max().orElse(start);
            String load = Files.readAllLines(Path.of("/proc/loadavg")).get(0).split(" ")[0]; // readString reads a /proc file short
            double[] pushAfter = controlPlane.pushLatency();
            // The last ACKs may still be queued in the control plane: wait (up to 10 s) until it has counted all.
            long countDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pushAfter[1] - pushBefore[1] < clients && System.nanoTime() < countDeadline) {
                Thread.sleep(50);
                pushAfter = controlPlane.pushLatency();
            }
            Thread.sleep(SETTLE.toMillis());
            double cpuMillis = (controlPlane.cpuNanos() - cpuBefore) / 1e6;
            double harnessCpuMillis = (harnessCpuNanos() - harnessCpuBefore) / 1e6;
            Map<String, Integer> got = pushed.responses();
            // The server's own histogram: from the new MeshSnapshot (after debounce and reload) to each ACK.
            double serverMean = (pushAfter[0] - pushBefore[0]) / Math.max(1, pushAfter[1] - pushBefore[1]) * 1e3;
            System.out.printf("  round %d%s: all %d ACKed %.0f ms after %s; server push latency (snapshot -> ACK) "
                            + "mean %.0f ms over %.0f ACKs; CPU: control plane %.0f ms, this harness (clients, API server) "
                            + "%.0f ms; responses in the round: %s (load average %s)%n",
                    round, round < 0 ? " (warm-up)" : "", clients, (end - start) / 1e6, written, serverMean,
                    pushAfter[1] - pushBefore[1], cpuMillis, harnessCpuMillis, SimulatedSidecars.TYPES.stream()
                            .map(t -> SimulatedSidecars.shortName(t) + " " + got.get(t))
                            .collect(Collectors.joining(", ")), load);
            if (round < 0) {
                continue;
            }
            allAcked.add((end - start) / 1e6);
            cpu.add(cpuMillis);
            loads.add(load);
            for (long t : ackNanos) {
                perSidecar.add((t - start) / 1e6);
            }
            got.forEach((type, count) -> responses.merge(type, count, Integer::sum));
        }
        return new Summary(allAcked, perSidecar, cpu, loads, responses, clients);
    }

    private static long harnessCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
