package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.Workload;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds one ClusterLoadAssignment per service port (named as its EDS cluster), endpoints grouped by
 * the workloads' locality. Every cluster gets one, even with no endpoints, so no cluster stays warming.
 */
public final class EndpointBuilder {

    private static final Comparator<io.meshwork.controlplane.model.Locality> BY_LOCALITY =
            Comparator.comparing(io.meshwork.controlplane.model.Locality::region)
                    .thenComparing(io.meshwork.controlplane.model.Locality::zone);

    private final MeshSnapshot snapshot;
    /** One Metadata per workload, shared by its endpoints on every port (and so encoded once when hashed). */
    private final Map<ObjectRef, Metadata> metadataByWorkload = new HashMap<>();
    /** The same with the auto mTLS mark, for endpoints that take mutual TLS. */
    private final Map<ObjectRef, Metadata> mtlsMetadataByWorkload = new HashMap<>();

    /** Whose view the priorities are: null for none (every locality at priority 0). */
    private final Workload client;

    /** Endpoints that do not depend on who asks: every locality at priority 0. */
    public EndpointBuilder(MeshSnapshot snapshot) {
        this(snapshot, null);
    }

    /**
     * Endpoints as {@code client} sees them (a multi-cluster mesh): its own cluster's endpoints in its zone first,
     * then in its region, then the rest of its cluster, then other clusters in its region, then the others, as
     * Envoy locality priorities (0 first, contiguous per assignment: a rank no endpoint has takes no level). The
     * sidecar sends a level's share on as its health falls (Envoy's overprovisioning), so traffic fails over without a failed request.
     */
    public EndpointBuilder(MeshSnapshot snapshot, Workload client) {
        this.snapshot = snapshot;
        this.client = client;
    }

    /**
     * 0 same cluster and zone, 1 same cluster and region, 2 same cluster, 3 another cluster in the same region,
     * 4 another cluster elsewhere.
     */
    private int rank(Workload endpoint) {
        io.meshwork.controlplane.model.Locality mine = client.locality();
        io.meshwork.controlplane.model.Locality theirs = endpoint.locality();
        boolean sameRegion = mine.region().equals(theirs.region());
        if (!endpoint.cluster().equals(client.cluster())) {
            return sameRegion ? 3 : 4;
        }
        if (!sameRegion) {
            return 2;
        }
        return mine.zone().equals(theirs.zone()) ? 0 : 1;
    }

    public List<ClusterLoadAssignment> build() {
        List<ClusterLoadAssignment> assignments = new ArrayList<>();
        for (MeshService service : snapshot.services().values()) {
            for (ServicePort port : service.ports()) {
                assignments.add(assignment(service, port));
            }
        }
        return List.copyOf(assignments);
    }

    private ClusterLoadAssignment assignment(MeshService service, ServicePort port) {
        // by priority rank (the client's view; all 0 without one), then locality
        Map<Integer, Map<io.meshwork.controlplane.model.Locality, List<ServiceEndpoint>>> byRank = new TreeMap<>();
        snapshot.endpointsOf(service.ref()).stream()
                .filter(endpoint -> endpoint.servicePort() == port.port())
                .sorted(Comparator.comparing((ServiceEndpoint e) -> e.workload().ref()))
                .forEach(endpoint -> byRank
                        .computeIfAbsent(client == null ? 0 : rank(endpoint.workload()), r -> new TreeMap<>(BY_LOCALITY))
                        .computeIfAbsent(endpoint.workload().locality(), l -> new ArrayList<>())
                        .add(endpoint));
        ClusterLoadAssignment.Builder assignment = ClusterLoadAssignment.newBuilder()
                .setClusterName(ResourceNames.outboundCluster(service.ref(), port.port()));
        int priority = 0;
        for (Map<io.meshwork.controlplane.model.Locality, List<ServiceEndpoint>> byLocality : byRank.values()) {
            int level = priority++;
            byLocality.forEach((locality, endpoints) -> {
                // grpc-java ignores a locality of weight 0 ("No usable endpoint"), so every locality weighs 1.
                LocalityLbEndpoints.Builder group = LocalityLbEndpoints.newBuilder()
                        .setLocality(Locality.newBuilder().setRegion(locality.region()).setZone(locality.zone()))
                        .setLoadBalancingWeight(EnvoyProtos.uint32(1))
                        .setPriority(level);
                endpoints.forEach(endpoint -> group.addLbEndpoints(lbEndpoint(endpoint)));
                assignment.addEndpoints(group);
            });
        }
        return assignment.build();
    }

    private LbEndpoint lbEndpoint(ServiceEndpoint endpoint) {
        return LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder()
                        .setAddress(EnvoyProtos.socketAddress(endpoint.address(), endpoint.port())))
                .setHealthStatus(endpoint.ready() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
                .setMetadata(takesMutualTls(endpoint)
                        ? mtlsMetadataByWorkload.computeIfAbsent(endpoint.workload().ref(), ref -> MutualTls.markMeshed(
                                metadataOf(endpoint.workload()).toBuilder()).build())
                        : metadataOf(endpoint.workload()))
                .build();
    }

    private Metadata metadataOf(Workload workload) {
        return metadataByWorkload.computeIfAbsent(workload.ref(), ref -> metadata(workload));
    }

    /** Auto mTLS: clients use mutual TLS toward an endpoint that answers it on its port. */
    private boolean takesMutualTls(ServiceEndpoint endpoint) {
        return MutualTls.servesMutualTls(snapshot, endpoint.workload(), endpoint.port());
    }

    private static Metadata metadata(Workload workload) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("workload", workload.ref().name());
        metadata.put("namespace", workload.ref().namespace());
        metadata.put("version", workload.version());
        metadata.put("serviceAccount", workload.serviceAccount());
        metadata.put("meshed", workload.meshed());
        if (!workload.cluster().isEmpty()) {
            metadata.put("cluster", workload.cluster()); // multi-cluster: which cluster it runs in
        }
        return EnvoyProtos.meshMetadata(metadata);
    }
}
