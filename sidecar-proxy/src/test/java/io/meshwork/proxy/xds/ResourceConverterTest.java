package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceConverterTest {

    private final MeshResources mesh = new MeshResources("default")
            .service("reviews", 9080, "grpc", List.of(Backend.of(9101, "reviews-v1", "v1")))
            .virtualHost("reviews", 9080, List.of());

    @Test
    void aRouteWithoutTimeoutHasNoneAsInIstio() throws Exception {
        RouteTable table = ResourceConverter.routeTable(mesh.outboundRoutes());
        assertThat(table.virtualHosts().get(0).routes().get(0).timeout()).isEqualTo(Duration.ZERO);
    }

    @Test
    void aGrpcPortClusterSpeaksHttp2UpstreamAndCarriesItsServiceName() throws Exception {
        var cluster = ResourceConverter.cluster(mesh.clusters().values().iterator().next());
        assertThat(cluster.http2()).isTrue();
        assertThat(cluster.service()).isEqualTo("reviews");
        assertThat(cluster.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void anEndpointWithoutPortIsRejectedNamingTheAssignmentAndField() {
        var assignment = mesh.assignments().values().iterator().next();
        var broken = assignment.toBuilder().setEndpoints(0, assignment.getEndpoints(0).toBuilder().setLbEndpoints(0,
                assignment.getEndpoints(0).getLbEndpoints(0).toBuilder().setEndpoint(assignment.getEndpoints(0)
                        .getLbEndpoints(0).getEndpoint().toBuilder().setAddress(
                                io.envoyproxy.envoy.config.core.v3.Address.newBuilder().setSocketAddress(
                                        SocketAddress.newBuilder().setAddress("127.0.0.1")))))).build();

        assertThatThrownBy(() -> ResourceConverter.endpoints(broken)).hasMessage(
                "ClusterLoadAssignment \"outbound|9080||reviews.default.svc.cluster.local\": field endpoints[0]"
                        + ".lb_endpoints[0].endpoint.address.socket_address.port_value 0 is not a port");
    }

    @Test
    void aListenerWithoutTimeoutsGetsEnvoysDefaultsAndNoConnectionLimit() throws Exception {
        var outbound = ResourceConverter.listener(outbound(mesh));

        assertThat(outbound.connections()).isEqualTo(io.meshwork.proxy.listener.ConnectionPolicy.ENVOY_DEFAULTS);
        assertThat(outbound.connections().idleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(outbound.connections().streamIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theHttpManagersTimeoutsAndTheConnectionLimitMakeTheListenersPolicy() throws Exception {
        var bounded = new MeshResources("default")
                .service("reviews", 9080, "http", List.of(Backend.of(9101, "reviews-v1", "v1")))
                .service("db", 5432, "tcp", List.of(Backend.of(9102, "db-v1", "v1")))
                .outboundBounds(hcm -> hcm.setRequestHeadersTimeout(seconds(10)).setStreamIdleTimeout(seconds(0))
                        .setCommonHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                                .setIdleTimeout(seconds(60)).setMaxConnectionDuration(seconds(600))), 100);

        var policy = ResourceConverter.listener(outbound(bounded)).connections();

        assertThat(policy).isEqualTo(new io.meshwork.proxy.listener.ConnectionPolicy(Duration.ofSeconds(10),
                Duration.ofSeconds(60), Duration.ofSeconds(600), Duration.ZERO, 100));
    }

    @Test
    void chainsWithDifferentConnectionLimitsAreRefusedNamingBoth() {
        var listener = outbound(new MeshResources("default")
                .service("db", 5432, "tcp", List.of(Backend.of(9102, "db-v1", "v1")))
                .outboundBounds(hcm -> hcm, 100));
        var limit = listener.getFilterChains(0).getFilters(0);
        var other = limit.toBuilder().setTypedConfig(com.google.protobuf.Any.pack(
                io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit.newBuilder()
                        .setStatPrefix("outbound").setMaxConnections(com.google.protobuf.UInt64Value.of(7)).build()));
        var broken = listener.toBuilder().setFilterChains(1, listener.getFilterChains(1).toBuilder().setFilters(0, other))
                .build();

        assertThatThrownBy(() -> ResourceConverter.listener(broken)).hasMessage("Listener \"outbound\": field "
                + "filter_chains[1].filters[0].typed_config(ConnectionLimit).max_connections 7 differs from "
                + "filter_chains[0]'s 100; the sidecar counts per listener");
    }

    /** The outbound routes with the one route of the reviews host replaced by {@code route}. */
    private io.envoyproxy.envoy.config.route.v3.RouteConfiguration withRoute(io.envoyproxy.envoy.config.route.v3.Route route) {
        var config = mesh.outboundRoutes();
        return config.toBuilder().setVirtualHosts(0, config.getVirtualHosts(0).toBuilder().setRoutes(0, route)).build();
    }

    @Test
    void segmentPrefixesQueryParametersAndTheClusterNotFoundCodeAreRead() throws Exception {
        var route = mesh.outboundRoutes().getVirtualHosts(0).getRoutes(0);
        var gamma = route.toBuilder()
                .setMatch(route.getMatch().toBuilder().setPathSeparatedPrefix("/api")
                        .addQueryParameters(io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher.newBuilder()
                                .setName("animal").setStringMatch(io.envoyproxy.envoy.type.matcher.v3.StringMatcher
                                        .newBuilder().setExact("whale"))))
                .setRoute(route.getRoute().toBuilder().setClusterNotFoundResponseCode(
                        io.envoyproxy.envoy.config.route.v3.RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR))
                .build();

        var read = ResourceConverter.routeTable(withRoute(gamma)).virtualHosts().get(0).routes().get(0);

        assertThat(read.match().pathKind()).isEqualTo(io.meshwork.proxy.route.RouteMatch.PathKind.PATH_SEPARATED_PREFIX);
        assertThat(read.match().path()).isEqualTo("/api");
        assertThat(read.match().queryParameters()).containsExactly(new io.meshwork.proxy.route.RouteMatch
                .QueryParameterMatch("animal", io.meshwork.proxy.route.RouteMatch.HeaderMatch.Kind.EXACT, "whale", null));
        assertThat(read.clusterNotFoundStatus()).isEqualTo(500);
    }

    @Test
    void aSegmentPrefixWithATrailingSlashIsRefusedNamingTheField() {
        var route = mesh.outboundRoutes().getVirtualHosts(0).getRoutes(0);
        var broken = route.toBuilder().setMatch(route.getMatch().toBuilder().setPathSeparatedPrefix("/api/")).build();

        assertThatThrownBy(() -> ResourceConverter.routeTable(withRoute(broken))).hasMessage("RouteConfiguration "
                + "\"outbound\": field virtual_hosts[0].routes[0].match.path_separated_prefix \"/api/\" must start with / "
                + "and contain neither a trailing / nor ?");
    }

    @Test
    void aHeaderValueWithAFormatterIsRefusedNamingTheField() {
        var route = mesh.outboundRoutes().getVirtualHosts(0).getRoutes(0);
        var broken = route.toBuilder().addRequestHeadersToAdd(io.envoyproxy.envoy.config.core.v3.HeaderValueOption
                .newBuilder().setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder().setKey("x-from")
                        .setValue("%DOWNSTREAM_REMOTE_ADDRESS%"))).build();

        assertThatThrownBy(() -> ResourceConverter.routeTable(withRoute(broken))).hasMessage("RouteConfiguration "
                + "\"outbound\": field virtual_hosts[0].routes[0].request_headers_to_add[0].header.value: formatter "
                + "commands (%...%) are not supported");
    }

    @Test
    void aRedirectRouteHasNoClustersAndItsLocationFollowsTheAction() throws Exception {
        var route = mesh.outboundRoutes().getVirtualHosts(0).getRoutes(0);
        var redirect = route.toBuilder().clearRoute().setRedirect(io.envoyproxy.envoy.config.route.v3.RedirectAction
                .newBuilder().setSchemeRedirect("https").setPortRedirect(443).setPathRedirect("/new")
                .setResponseCode(io.envoyproxy.envoy.config.route.v3.RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT))
                .build();

        var read = ResourceConverter.routeTable(withRoute(redirect)).virtualHosts().get(0).routes().get(0);

        assertThat(read.clusters()).isEmpty();
        assertThat(read.redirect().status()).isEqualTo(308);
        assertThat(read.redirect().location("http", "reviews:9080", "/old?q=1", read.match()))
                .isEqualTo("https://reviews/new?q=1");
    }

    private static io.envoyproxy.envoy.config.listener.v3.Listener outbound(MeshResources resources) {
        return resources.allListeners().stream().filter(l -> l.getName().equals("outbound")).findFirst().orElseThrow();
    }

    private static com.google.protobuf.Duration seconds(long seconds) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(seconds).build();
    }
}
