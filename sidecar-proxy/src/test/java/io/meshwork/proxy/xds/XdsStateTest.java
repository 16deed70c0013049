package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ADS client's protocol state without a network: ACK/NACK, subscriptions, completeness. */
class XdsStateTest {

    private final MeshResources mesh = new MeshResources("default")
            .service("reviews", 9080, "http", List.of(Backend.of(9101, "reviews-v1", "v1")))
            .virtualHost("reviews", 9080, List.of());
    private final XdsState state = new XdsState(new NodeIdentity("productpage", "default", "sa", "1").toNode());

    private static DiscoveryResponse response(ResourceType type, String version, String nonce,
                                              Collection<? extends Message> resources) {
        return DiscoveryResponse.newBuilder().setTypeUrl(type.typeUrl()).setVersionInfo(version).setNonce(nonce)
                .addAllResources(resources.stream().map(Any::pack).toList()).build();
    }

    @Test
    void opensWithWildcardClusterAndListenerRequestsOnly() {
        assertThat(state.initialRequests()).extracting(DiscoveryRequest::getTypeUrl)
                .containsExactly(ResourceType.CLUSTER.typeUrl(), ResourceType.LISTENER.typeUrl());
    }

    @Test
    void appliesNothingUntilClustersHaveEndpointsAndListenersHaveRoutes() {
        XdsState.Outcome clusters = state.onResponse(response(ResourceType.CLUSTER, "c1", "n1",
                mesh.clusters().values()));
        assertThat(clusters.config()).isEmpty();
        assertThat(clusters.requests()).extracting(DiscoveryRequest::getTypeUrl)
                .containsExactly(ResourceType.CLUSTER.typeUrl(), ResourceType.ENDPOINT.typeUrl());
        assertThat(clusters.requests().get(0).getVersionInfo()).isEqualTo("c1");
        assertThat(clusters.requests().get(0).getResponseNonce()).isEqualTo("n1");
        assertThat(clusters.requests().get(1).getResourceNamesList())
                .containsExactly(MeshResources.clusterName("reviews", "default", 9080));

        assertThat(state.onResponse(response(ResourceType.ENDPOINT, "e1", "n2", mesh.assignments().values()))
                .config()).isEmpty();
        XdsState.Outcome listeners = state.onResponse(response(ResourceType.LISTENER, "l1", "n3",
                mesh.allListeners()));
        assertThat(listeners.config()).isEmpty();
        assertThat(listeners.requests().get(1).getResourceNamesList()).containsExactly("outbound");

        XdsState.Outcome routes = state.onResponse(response(ResourceType.ROUTE, "r1", "n4",
                List.of(mesh.outboundRoutes())));
        assertThat(routes.config()).hasValueSatisfying(config -> {
            assertThat(config.routes()).containsKey("outbound");
            assertThat(config.versions()).containsEntry(ResourceType.ROUTE.typeUrl(), "r1");
        });
    }

    @Test
    void nacksAnInvalidClusterWithTheLastAcceptedVersionAndTheNewNonce() {
        state.onResponse(response(ResourceType.CLUSTER, "c1", "n1", mesh.clusters().values()));
        Cluster bad = mesh.clusters().values().iterator().next().toBuilder().setLbPolicy(Cluster.LbPolicy.MAGLEV)
                .build();

        XdsState.Outcome outcome = state.onResponse(response(ResourceType.CLUSTER, "c2", "n2", List.of(bad)));

        DiscoveryRequest nack = outcome.requests().get(0);
        assertThat(nack.getVersionInfo()).isEqualTo("c1");
        assertThat(nack.getResponseNonce()).isEqualTo("n2");
        assertThat(nack.getErrorDetail().getMessage())
                .isEqualTo("Cluster \"outbound|9080||reviews.default.svc.cluster.local\": field lb_policy MAGLEV "
                        + "is not supported (ROUND_ROBIN, LEAST_REQUEST)");
        assertThat(outcome.config()).isEmpty();
    }

    @Test
    void nacksAListenerWhoseHttpFiltersDoNotEndWithTheRouter() {
        var listener = mesh.allListeners().get(0);
        var hcmFilter = listener.getFilterChains(0).getFilters(0);
        var broken = listener.toBuilder().setFilterChains(0, listener.getFilterChains(0).toBuilder().setFilters(0,
                hcmFilter.toBuilder().setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.filters.network
                        .http_connection_manager.v3.HttpConnectionManager.newBuilder()
                        .setRds(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds
                                .newBuilder().setRouteConfigName("outbound"))
                        .addHttpFilters(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
                                .HttpFilter.newBuilder().setName("envoy.filters.http.fault"))
                        .build())))).build();

        XdsState.Outcome outcome = state.onResponse(response(ResourceType.LISTENER, "l1", "n1", List.of(broken)));

        assertThat(outcome.rejection()).hasValue("Listener \"outbound\": field filter_chains[0].filters[0]"
                + ".typed_config(HttpConnectionManager).http_filters does not end with envoy.filters.http.router");
    }
}
