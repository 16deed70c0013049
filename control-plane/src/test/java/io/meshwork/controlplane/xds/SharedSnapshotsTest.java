package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each group's snapshot is the library's own, with every resource that groups share versioned once. */
class SharedSnapshotsTest {

    private static final Cluster REVIEWS = Cluster.newBuilder().setName("outbound|9080||reviews.default.svc.cluster.local")
            .setType(Cluster.DiscoveryType.EDS).build();
    private static final ClusterLoadAssignment REVIEWS_ENDPOINTS = ClusterLoadAssignment.newBuilder()
            .setClusterName(REVIEWS.getName())
            .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(
                    Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(
                            SocketAddress.newBuilder().setAddress("10.0.0.1").setPortValue(9080))))))
            .build();
    private static final RouteConfiguration OUTBOUND_ROUTES = RouteConfiguration.newBuilder().setName("outbound").build();

    private final SharedSnapshots snapshots = new SharedSnapshots();

    /** A sidecar's group: the shared outbound resources and an inbound listener of its own. */
    private static GroupResources group(String workload) {
        Listener inbound = Listener.newBuilder().setName("inbound|9080").setStatPrefix(workload).build();
        return GroupResources.hashed(List.of(REVIEWS), List.of(REVIEWS_ENDPOINTS), List.of(inbound),
                List.of(OUTBOUND_ROUTES));
    }

    private static Snapshot libraryCreate(GroupResources r) {
        GroupResources.TypeVersions v = r.versions();
        return Snapshot.create(r.clusters(), v.clusters(), r.endpoints(), v.endpoints(), r.listeners(), v.listeners(),
                r.routes(), v.routes(), r.secrets(), v.secrets());
    }

    @Test
    void aGroupsSnapshotHasTheResourcesAndVersionsOfTheLibrarysSnapshot() {
        GroupResources group = group("reviews-1");

        Snapshot shared = snapshots.create(group);

        Snapshot library = libraryCreate(group);
        for (Resources.ResourceType type : List.of(Resources.ResourceType.CLUSTER, Resources.ResourceType.ENDPOINT,
                Resources.ResourceType.LISTENER, Resources.ResourceType.ROUTE, Resources.ResourceType.SECRET)) {
            assertThat(shared.version(type)).as("%s version", type).isEqualTo(library.version(type));
            assertThat(shared.resources(type)).as("%s resources", type).isEqualTo(library.resources(type));
            assertThat(shared.versionedResources(type)).as("%s per-resource versions", type)
                    .isEqualTo(library.versionedResources(type));
        }
    }

    @Test
    void groupsSharingAResourceShareItsVersionedWrapper() {
        Snapshot first = snapshots.create(group("reviews-1"));
        Snapshot second = snapshots.create(group("reviews-2"));

        assertThat(second.versionedResources(Resources.ResourceType.ENDPOINT).get(REVIEWS.getName()))
                .isSameAs(first.versionedResources(Resources.ResourceType.ENDPOINT).get(REVIEWS.getName()));
        assertThat(second.versionedResources(Resources.ResourceType.LISTENER).get("inbound|9080").resource())
                .as("each group's own resource stays its own")
                .isNotSameAs(first.versionedResources(Resources.ResourceType.LISTENER).get("inbound|9080").resource());
    }
}
