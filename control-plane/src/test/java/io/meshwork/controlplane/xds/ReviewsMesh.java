package io.meshwork.controlplane.xds;

import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.Workload;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test meshes: the {@code reviews} gRPC service on port {@value #PORT} split between
 * {@code reviews-v1} and {@code reviews-v2}, each backed by one workload on loopback.
 */
public final class ReviewsMesh {

    public static final int PORT = 9080;
    static final String NAMESPACE = "default";

    private ReviewsMesh() {
    }

    /** reviews split {@code w1}/{@code w2}; the backends listen on 127.0.0.1:{@code v1Port} and :{@code v2Port}. */
    public static MeshSnapshot split(String version, int v1Port, int v2Port, long w1, long w2) {
        return split(version, v1Port, v2Port, List.of(new TrafficSplit.Backend("reviews-v1", w1),
                new TrafficSplit.Backend("reviews-v2", w2)));
    }

    public static MeshSnapshot split(String version, int v1Port, int v2Port, List<TrafficSplit.Backend> backends) {
        TreeMap<ObjectRef, MeshService> services = new TreeMap<>();
        TreeMap<ObjectRef, Workload> workloads = new TreeMap<>();
        TreeMap<ObjectRef, List<ServiceEndpoint>> endpoints = new TreeMap<>();
        service(services, "reviews", Map.of("app", "reviews"));
        service(services, "reviews-v1", Map.of("app", "reviews", "version", "v1"));
        service(services, "reviews-v2", Map.of("app", "reviews", "version", "v2"));
        Workload v1 = workload(workloads, "reviews-v1-0", "v1", v1Port);
        Workload v2 = workload(workloads, "reviews-v2-0", "v2", v2Port);
        endpoints.put(ref("reviews"), List.of(endpoint("reviews", v1, v1Port), endpoint("reviews", v2, v2Port)));
        endpoints.put(ref("reviews-v1"), List.of(endpoint("reviews-v1", v1, v1Port)));
        endpoints.put(ref("reviews-v2"), List.of(endpoint("reviews-v2", v2, v2Port)));
        TreeMap<ObjectRef, TrafficSplit> splits = new TreeMap<>();
        splits.put(ref("reviews-split"), new TrafficSplit(ref("reviews-split"), "reviews", backends, List.of()));
        return new MeshSnapshot(version, services, workloads, endpoints, splits, new TreeMap<>());
    }

    public static ObjectRef ref(String name) {
        return ObjectRef.of(NAMESPACE, name);
    }

    private static void service(Map<ObjectRef, MeshService> services, String name, Map<String, String> selector) {
        services.put(ref(name), new MeshService(ref(name), selector,
                List.of(new ServicePort("grpc", PORT, "grpc", Protocol.GRPC))));
    }

    private static Workload workload(Map<ObjectRef, Workload> workloads, String name, String version, int port) {
        Workload w = new Workload(ref(name), Map.of("app", "reviews", "version", version), "127.0.0.1",
                Map.of("grpc", port), Map.of(), "reviews", new Locality("local", "a"), "", true);
        workloads.put(w.ref(), w);
        return w;
    }

    private static ServiceEndpoint endpoint(String service, Workload w, int port) {
        return new ServiceEndpoint(ref(service), PORT, w, "127.0.0.1", port);
    }
}
