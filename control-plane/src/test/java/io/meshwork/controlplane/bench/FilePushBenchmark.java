package io.meshwork.controlplane.bench;

import io.envoyproxy.controlplane.cache.Resources;
import io.meshwork.controlplane.xds.AdsTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
        Map<String, String> arguments = BenchFigures.options(args);
        PushRounds.Options options = PushRounds.Options.parse(arguments, List.of("split", "workload"));
        int services = Integer.parseInt(arguments.getOrDefault("services", "1000"));
        int endpoints = Integer.parseInt(arguments.getOrDefault("endpoints", "10"));
        System.out.printf("file push benchmark: %d services x %d endpoints (meshed workloads), %s%n", services,
                endpoints, options.describe());
        for (int n : options.clients()) {
            Path dir = Files.createTempDirectory("meshwork-file-push");
            try {
                run(dir, n, services, endpoints, options);
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void run(Path dir, int clients, int services, int endpoints, PushRounds.Options options)
            throws Exception {
        if (clients > services * endpoints) {
            throw new IllegalArgumentException("--clients " + clients + ": only " + services * endpoints + " workloads");
        }
        for (int s = 0; s < services; s++) {
            Files.writeString(dir.resolve(serviceName(s) + ".yaml"), serviceFile(s, endpoints, -1));
        }
        Files.writeString(dir.resolve("split.yaml"), split(90, 10));

        String change = options.change();
        int warmup = options.warmup();
        try (ChildControlPlane controlPlane = ChildControlPlane.local(dir, options.xmx());
             PushRounds.Connected connected = PushRounds.connect(controlPlane, clients, services,
                     (s, e) -> AdsTestClient.sidecarNode(serviceName(s) + "-" + e, NAMESPACE, address(s, e)))) {
            System.out.printf("N=%d: control plane loaded the folder in %d ms; %s%n", clients, controlPlane.startMillis,
                    connected.describe());
            String typeUrl = change.equals("split") ? Resources.V3.ROUTE_TYPE_URL : Resources.V3.ENDPOINT_TYPE_URL;
            PushRounds.Summary summary = PushRounds.run(controlPlane, connected.sidecars(), typeUrl, "the move",
                    warmup, options.rounds(), options.roundTimeout(), round -> {
                        boolean even = (round + warmup) % 2 == 0;
                        String file = change.equals("split") ? "split.yaml" : serviceName(5 % services) + ".yaml";
                        String yaml = change.equals("split") ? split(even ? 10 : 90, even ? 90 : 10)
                                : serviceFile(5 % services, endpoints, even ? 0 : -1);
                        Path temporary = dir.resolve("." + file + ".tmp");
                        Files.writeString(temporary, yaml);
                        return () -> Files.move(temporary, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE,
                                StandardCopyOption.REPLACE_EXISTING);
                    });
            System.out.printf("N=%d, change %s: %s; control plane heap after GC %d MB after the rounds%n",
                    clients, change, summary.describe(), controlPlane.heap() >> 20);
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
}
