package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceGuardTest {

    private static final String CLUSTER = "outbound|9080||reviews.default.svc.cluster.local";

    private static Any rds(String routeName) {
        return Any.pack(HttpConnectionManager.newBuilder().setStatPrefix("outbound")
                .setRds(Rds.newBuilder().setRouteConfigName(routeName)
                        .setConfigSource(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .build());
    }

    /** The sidecar's outbound listener as ARCHITECTURE.md has it: RDS in the default filter chain. */
    private static Listener sidecarOutbound(String routeName) {
        return Listener.newBuilder().setName("outbound")
                .setDefaultFilterChain(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(rds(routeName))))
                .build();
    }

    private static Listener apiListener(String routeName) {
        return Listener.newBuilder().setName("reviews.default.svc.cluster.local:9080")
                .setApiListener(ApiListener.newBuilder().setApiListener(rds(routeName))).build();
    }

    private static Cluster eds(String name) {
        return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setServiceName(name)).build();
    }

    private static ClusterLoadAssignment assignment(String name) {
        return ClusterLoadAssignment.newBuilder().setClusterName(name).build();
    }

    private static RouteConfiguration route(String name) {
        return RouteConfiguration.newBuilder().setName(name).build();
    }

    @Test
    void sidecarListenerWithItsRouteConfigurationIsConsistent() {
        GroupResources group = GroupResources.hashed(List.of(eds(CLUSTER)), List.of(assignment(CLUSTER)),
                List.of(sidecarOutbound("outbound")), List.of(route("outbound")));

        assertThat(ReferenceGuard.problems(group)).isEmpty();
    }

    @Test
    void sidecarListenerNamingAMissingRouteConfigurationIsAProblem() {
        GroupResources group = GroupResources.hashed(List.of(), List.of(), List.of(sidecarOutbound("outbound")),
                List.of());

        assertThat(ReferenceGuard.problems(group)).containsExactly(
                "Listener outbound: rds.route_config_name \"outbound\" is not a RouteConfiguration of this group");
    }

    @Test
    void apiListenerNamingAMissingRouteConfigurationIsAProblem() {
        GroupResources group = GroupResources.hashed(List.of(), List.of(),
                List.of(apiListener("reviews.default.svc.cluster.local:9080")), List.of(route("other")));

        assertThat(ReferenceGuard.problems(group)).singleElement().asString()
                .startsWith("Listener reviews.default.svc.cluster.local:9080: rds.route_config_name");
    }

    @Test
    void edsClusterWithoutItsLoadAssignmentIsAProblem() {
        GroupResources group = GroupResources.hashed(List.of(eds(CLUSTER)), List.of(), List.of(), List.of());

        assertThat(ReferenceGuard.problems(group)).containsExactly("Cluster " + CLUSTER
                + ": eds_cluster_config.service_name \"" + CLUSTER + "\" has no ClusterLoadAssignment in this group");
    }

    @Test
    void staticClusterNeedsNoLoadAssignment() {
        Cluster inbound = Cluster.newBuilder().setName("inbound|8080||").setType(Cluster.DiscoveryType.STATIC).build();

        assertThat(ReferenceGuard.problems(GroupResources.hashed(List.of(inbound), List.of(), List.of(), List.of())))
                .isEmpty();
    }
}
