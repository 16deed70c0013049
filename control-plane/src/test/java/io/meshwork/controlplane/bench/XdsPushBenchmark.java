package io.meshwork.controlplane.bench;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.xds.AdsServer;
import io.meshwork.controlplane.xds.AdsTestClient;
import io.meshwork.controlplane.xds.ContractGroupKeys;
import io.meshwork.controlplane.xds.GroupResources;
import io.meshwork.controlplane.xds.GroupValidator;
import io.meshwork.controlplane.xds.HandBuiltGenerator;
import io.meshwork.controlplane.xds.ResourceGenerator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Push benchmark (a harness, not a test): N simulated sidecars (raw ADS streams on loopback, each
 * its own node and so its own snapshot group, each ACKing every response) are connected to an
 * {@link AdsServer}; then the mesh changes (a TrafficSplit's weights) and the harness measures the
 * time from handing the new MeshSnapshot to the server until all N have ACKed the new routes.
 *
 * <p>Usage: {@code XdsPushBenchmark [--clients 100,1000] [--services 100] [--endpoints 10] [--rounds 5] [--warmup 2]
 * [--generation once|per-group]}. Resources come from the test generator (HandBuiltGenerator: per
 * service an EDS cluster, its endpoints, an api_listener and a route), not the real translator.
 * With {@code once} (the default) it runs once per mesh snapshot and every group gets the same
 * resources, so the figures are the server's own cost (validation, snapshot, fan-out, ACKs);
 * {@code per-group} runs it for each group, as a translator without caching would.
 */
public final class XdsPushBenchmark {

    private static final String RDS = Resources.V3.ROUTE_TYPE_URL;

    public static void main(String[] args) throws Exception {
        Map<String, String> options = BenchFigures.options(args);
        int[] clientCounts = Arrays.stream(options.getOrDefault("clients", "100,1000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int services = Integer.parseInt(options.getOrDefault("services", "100"));
        int endpoints = Integer.parseInt(options.getOrDefault("endpoints", "10"));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "2"));
        boolean perGroup = switch (options.getOrDefault("generation", "once")) {
            case "once" -> false;
            case "per-group" -> true;
            default -> throw new IllegalArgumentException("--generation: expected once or per-group");
        };
        System.out.printf("xDS push benchmark: %d services x %d endpoints, %d rounds after %d warm-up, generation %s, "
                        + "%d cores, -Xmx%d MB%n", services, endpoints, rounds, warmup,
                perGroup ? "per group" : "once per snapshot",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        for (int n : clientCounts) {
            run(n, services, endpoints, warmup, rounds, perGroup);
        }
    }

    private static void run(int clients, int services, int endpoints, int warmup, int rounds, boolean perGroup)
            throws Exception {
        HandBuiltGenerator generator = new HandBuiltGenerator();
        ResourceGenerator serverGenerator = perGroup ? generator : new OncePerSnapshot(generator);
        int version = 0;
        MeshSnapshot mesh = mesh(++version, services, endpoints, 90, 10);
        try (AdsServer server = new AdsServer(new InetSocketAddress("127.0.0.1", 0), serverGenerator,
                new ContractGroupKeys(), GroupValidator.NONE, new SimpleMeterRegistry()).start()) {
            server.accept(mesh);
            long heapBefore = BenchFigures.heapUsedAfterGc();

            List<Node> nodes = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                nodes.add(AdsTestClient.sidecarNode("app-" + i, "bench", "10.1." + (i / 250) + "." + (i % 250)));
            }
            long connectStart = System.nanoTime();
            try (SimulatedSidecars sidecars = SimulatedSidecars.connect(server.port(), nodes, Duration.ofSeconds(300))) {
                double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
                long heapConnected = BenchFigures.heapUsedAfterGc();

                List<Double> allAcked = new ArrayList<>();
                List<Double> acceptMillis = new ArrayList<>();
                List<Double> perProxy = new ArrayList<>();
                for (int round = -warmup; round < rounds; round++) {
                    boolean even = (round + warmup) % 2 == 0;
                    MeshSnapshot next = mesh(++version, services, endpoints, even ? 10 : 90, even ? 90 : 10);
                    SimulatedSidecars.Round pushed = sidecars.expectChange(RDS);
                    long start = System.nanoTime();
                    server.accept(next);
                    long accepted = System.nanoTime();
                    long[] ackNanos = pushed.await(Duration.ofSeconds(300));
                    long end = System.nanoTime();
                    if (round < 0) {
                        continue;
                    }
                    allAcked.add((end - start) / 1e6);
                    acceptMillis.add((accepted - start) / 1e6);
                    for (long t : ackNanos) {
                        perProxy.add((t - start) / 1e6);
                    }
                }
                System.out.printf("N=%d: connect+first config %.1f s; all ACKed after change: median %.0f ms, max %.0f ms "
                                + "(server accept() median %.0f ms); per-proxy ACK p50 %.0f ms, p99 %.0f ms; "
                                + "heap used after GC: %d MB before clients, %d MB with %d connected (%.0f KB per client, "
                                + "simulated clients included)%n",
                        clients, connectSeconds, BenchFigures.median(allAcked), BenchFigures.max(allAcked),
                        BenchFigures.median(acceptMillis), BenchFigures.percentile(perProxy, 50),
                        BenchFigures.percentile(perProxy, 99), heapBefore >> 20, heapConnected >> 20, clients,
                        (heapConnected - heapBefore) / 1024.0 / clients);
            }
        }
    }

    /** {@code services} services in namespace bench, {@code endpoints} workloads each, plus the reviews split. */
    static MeshSnapshot mesh(int version, int services, int endpoints, long w1, long w2) {
        TreeMap<ObjectRef, MeshService> svcs = new TreeMap<>();
        TreeMap<ObjectRef, Workload> workloads = new TreeMap<>();
        TreeMap<ObjectRef, List<ServiceEndpoint>> eps = new TreeMap<>();
        List<String> names = new ArrayList<>(List.of("reviews-v1", "reviews-v2"));
        for (int s = 0; s < services - 2; s++) {
            names.add("svc-" + s);
        }
        for (String name : names) {
            ObjectRef ref = ObjectRef.of("bench", name);
            svcs.put(ref, new MeshService(ref, Map.of("app", name),
                    List.of(new ServicePort("http", 8080, "http", Protocol.HTTP))));
            List<ServiceEndpoint> list = new ArrayList<>();
            for (int e = 0; e < endpoints; e++) {
                String address = "10.2." + (svcs.size() % 250) + "." + e;
                Workload w = new Workload(ObjectRef.of("bench", name + "-" + e), Map.of("app", name), address,
                        Map.of("http", 8080), Map.of(), name, new Locality("r", "z" + (e % 3)), "", true);
                workloads.put(w.ref(), w);
                list.add(new ServiceEndpoint(ref, 8080, w, address, 8080));
            }
            eps.put(ref, list);
        }
        ObjectRef reviews = ObjectRef.of("bench", "reviews");
        svcs.put(reviews, new MeshService(reviews, Map.of("app", "reviews"),
                List.of(new ServicePort("http", 8080, "http", Protocol.HTTP))));
        TreeMap<ObjectRef, TrafficSplit> splits = new TreeMap<>();
        ObjectRef split = ObjectRef.of("bench", "reviews-split");
        splits.put(split, new TrafficSplit(split, "reviews", List.of(new TrafficSplit.Backend("reviews-v1", w1),
                new TrafficSplit.Backend("reviews-v2", w2)), List.of()));
        return new MeshSnapshot(Integer.toString(version), svcs, workloads, eps, splits, new TreeMap<>());
    }

    /** Generates for the first group of each mesh snapshot and hands the same resources to the others. */
    private static final class OncePerSnapshot implements ResourceGenerator {
        private final ResourceGenerator delegate;
        private MeshSnapshot last;
        private GroupResources resources;

        OncePerSnapshot(ResourceGenerator delegate) {
            this.delegate = delegate;
        }

        @Override
        public synchronized GroupResources generate(MeshSnapshot snapshot, String groupKey, Node node) {
            if (snapshot != last) {
                resources = delegate.generate(snapshot, groupKey, node);
                last = snapshot;
            }
            return resources;
        }
    }
}
