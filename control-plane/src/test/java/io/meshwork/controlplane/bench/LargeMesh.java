package io.meshwork.controlplane.bench;

import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.translate.ProxyNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A generated mesh for benchmarks: {@code services} services (100 per namespace, one HTTP port,
 * every tenth gRPC) with {@code endpointsPerService} meshed workloads each, spread over three
 * zones; every tenth service is the root of a 90/10 TrafficSplit over the next two.
 */
final class LargeMesh {

    static final int PORT = 8080;
    static final int APP_PORT = 18080;
    private static final int SERVICES_PER_NAMESPACE = 100;

    private LargeMesh() {
    }

    static MeshSnapshot of(int services, int endpointsPerService) {
        TreeMap<ObjectRef, MeshService> meshServices = new TreeMap<>();
        TreeMap<ObjectRef, Workload> workloads = new TreeMap<>();
        TreeMap<ObjectRef, List<ServiceEndpoint>> endpoints = new TreeMap<>();
        TreeMap<ObjectRef, TrafficSplit> splits = new TreeMap<>();
        for (int i = 0; i < services; i++) {
            ObjectRef ref = service(i);
            Protocol protocol = i % 10 == 9 ? Protocol.GRPC : Protocol.HTTP;
            ServicePort port = new ServicePort(protocol.wireName(), PORT, "", protocol);
            meshServices.put(ref, new MeshService(ref, Map.of("app", ref.name()), List.of(port)));
            List<ServiceEndpoint> serviceEndpoints = new ArrayList<>();
            for (int e = 0; e < endpointsPerService; e++) {
                Workload workload = new Workload(workload(i, e), Map.of("app", ref.name(), "version", "v" + (e % 2 + 1)),
                        address(i, e), Map.of(protocol.wireName(), PORT), Map.of(protocol.wireName(), APP_PORT),
                        ref.name(), new Locality("region-1", "zone-" + (e % 3)), "", true);
                workloads.put(workload.ref(), workload);
                serviceEndpoints.add(new ServiceEndpoint(ref, PORT, workload, workload.address(), PORT));
            }
            endpoints.put(ref, serviceEndpoints);
            if (i % 10 == 0 && i + 2 < services && (i + 2) / SERVICES_PER_NAMESPACE == i / SERVICES_PER_NAMESPACE) {
                ObjectRef splitRef = ObjectRef.of(ref.namespace(), ref.name() + "-split");
                splits.put(splitRef, new TrafficSplit(splitRef, ref.name(), List.of(
                        new TrafficSplit.Backend(service(i + 1).name(), 90),
                        new TrafficSplit.Backend(service(i + 2).name(), 10)), List.of()));
            }
        }
        return new MeshSnapshot(services + "x" + endpointsPerService, meshServices, workloads, endpoints, splits, new TreeMap<>());
    }

    /** The sidecar of the first workload of service {@code i}. */
    static ProxyNode sidecarOf(int i) {
        return ProxyNode.sidecar(workload(i, 0), service(i).name());
    }

    /** {@code count} sidecars, two per namespace (so routes can be shared within a namespace). */
    static List<ProxyNode> sidecars(int count) {
        List<ProxyNode> proxies = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            proxies.add(sidecarOf((k / 2) * SERVICES_PER_NAMESPACE + k % 2));
        }
        return proxies;
    }

    private static ObjectRef service(int i) {
        return ObjectRef.of("ns-" + i / SERVICES_PER_NAMESPACE, "svc-" + i);
    }

    private static ObjectRef workload(int service, int endpoint) {
        return ObjectRef.of("ns-" + service / SERVICES_PER_NAMESPACE, "svc-" + service + "-" + endpoint);
    }

    private static String address(int service, int endpoint) {
        int n = service * 16 + endpoint;
        return "10." + (n >> 16 & 0xFF) + "." + (n >> 8 & 0xFF) + "." + (n & 0xFF);
    }
}
