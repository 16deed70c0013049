package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.backend;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.tcp;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Each check of the validator, fed a deliberately broken resource set. */
class SnapshotValidatorTest {

    private static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
    private static final String V1 = "outbound|9080||reviews-v1.default.svc.cluster.local";

    private static final ProxyResources SIDECAR = Translator.translate(MeshFixture.mesh()
                    .service("default/reviews", "app=reviews", http(9080))
                    .service("default/reviews-v1", "app=reviews,version=v1", http(9080))
                    .service("default/reviews-v2", "app=reviews,version=v2", http(9080))
                    .service("default/db", "app=db", tcp(5432))
                    .workload(workload("default/reviews-v1-1", "app=reviews,version=v1", "10.0.1.1").meshedPort("http", 9080, 19080))
                    .split("default/reviews-split", "reviews", backend("reviews-v1", 90), backend("reviews-v2", 10))
                    .build(),
            ProxyNode.sidecar(ref("default/reviews-v1-1"), "reviews"));

    private static final ProxyResources PROXYLESS = Translator.translate(MeshFixture.mesh()
            .service("default/reviews", "app=reviews", http(9080)).build(), ProxyNode.proxyless("default"));

    private static ProxyResources with(List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                                       List<Listener> listeners, List<RouteConfiguration> routes) {
        return ProxyResources.of(clusters, endpoints, listeners, routes);
    }

    private static ProxyResources withClusters(ProxyResources base, List<Cluster> clusters) {
        return with(clusters, base.endpoints(), base.listeners(), base.routes());
    }

    private static ProxyResources withEndpoints(ProxyResources base, List<ClusterLoadAssignment> endpoints) {
        return with(base.clusters(), endpoints, base.listeners(), base.routes());
    }

    private static ProxyResources withListeners(ProxyResources base, List<Listener> listeners) {
        return with(base.clusters(), base.endpoints(), listeners, base.routes());
    }

    private static ProxyResources withRoutes(ProxyResources base, List<RouteConfiguration> routes) {
        return with(base.clusters(), base.endpoints(), base.listeners(), routes);
    }

    private static List<Cluster> clustersWithout(ProxyResources base, String name) {
        return base.clusters().stream().filter(c -> !c.getName().equals(name)).toList();
    }

    private static <T> List<T> plus(List<T> list, T extra) {
        List<T> more = new ArrayList<>(list);
        more.add(extra);
        return more;
    }

    private static Listener listener(ProxyResources base, String name) {
        return base.listeners().stream().filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
    }

    private static List<Listener> replacing(ProxyResources base, String name, UnaryOperator<Listener> change) {
        return base.listeners().stream().map(l -> l.getName().equals(name) ? change.apply(l) : l).toList();
    }

    private static List<RouteConfiguration> outboundRoutes(UnaryOperator<RouteConfiguration.Builder> change) {
        return List.of(change.apply(SIDECAR.routes().get(0).toBuilder()).build());
    }

    @Test
    void translatedResourcesHaveNoProblems() {
        assertThat(SnapshotValidator.validate(SIDECAR)).isEmpty();
        assertThat(SnapshotValidator.validate(PROXYLESS)).isEmpty();
    }

    @Test
    void aRouteToAMissingClusterIsReported() {
        String v2 = "outbound|9080||reviews-v2.default.svc.cluster.local";

        List<String> problems = SnapshotValidator.validate(withClusters(SIDECAR, clustersWithout(SIDECAR, v2)));

        assertThat(problems).contains("RouteConfiguration \"outbound\" virtual host \"reviews-v2.default.svc.cluster.local:9080\""
                + " route[0] cluster: \"" + v2 + "\" is not among the clusters");
    }

    @Test
    void aWeightedClusterThatIsMissingIsReported() {
        List<String> problems = SnapshotValidator.validate(withClusters(SIDECAR, clustersWithout(SIDECAR, V1)));

        assertThat(problems).anySatisfy(p -> assertThat(p).contains("weighted_clusters").contains(V1));
    }

    @Test
    void weightsAddingUpToZeroAreReported() {
        ProxyResources broken = withRoutes(SIDECAR, outboundRoutes(config -> {
            int host = config.getVirtualHostsList().stream().map(h -> h.getName()).toList()
                    .indexOf("reviews.default.svc.cluster.local:9080");
            var route = config.getVirtualHostsBuilder(host).getRoutesBuilder(0).getRouteBuilder().getWeightedClustersBuilder();
            route.getClustersBuilderList().forEach(c -> c.setWeight(UInt32Value.of(0)));
            return config;
        }));

        assertThat(SnapshotValidator.validate(broken)).singleElement().asString()
                .contains("weights must add up to more than 0");
    }

    @Test
    void anEdsClusterWithoutItsAssignmentIsReported() {
        List<ClusterLoadAssignment> endpoints = SIDECAR.endpoints().stream().filter(a -> !a.getClusterName().equals(REVIEWS)).toList();

        assertThat(SnapshotValidator.validate(withEndpoints(SIDECAR, endpoints))).singleElement().asString()
                .contains("Cluster \"" + REVIEWS + "\"").contains("has no ClusterLoadAssignment");
    }

    @Test
    void anRdsListenerWhoseRouteConfigIsMissingIsReported() {
        assertThat(SnapshotValidator.validate(withRoutes(SIDECAR, List.of()))).singleElement().asString()
                .contains("Listener \"outbound\"").contains("rds.route_config_name: \"outbound\"");
    }

    @Test
    void anApiListenerWhoseRouteConfigIsMissingIsReported() {
        List<String> problems = SnapshotValidator.validate(withRoutes(PROXYLESS, List.of()));

        assertThat(problems).hasSize(3).allSatisfy(p -> assertThat(p).contains("api_listener")
                .contains("\"reviews.default.svc.cluster.local:9080\" is not among the route configurations"));
    }

    @Test
    void anRdsSourceOtherThanAdsIsReported() throws Exception {
        Listener api = PROXYLESS.listeners().get(0);
        HttpConnectionManager manager = api.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
        HttpConnectionManager notAds = manager.toBuilder()
                .setRds(manager.getRds().toBuilder().setConfigSource(ConfigSource.newBuilder().setPath("/etc/rds.yaml"))).build();
        Listener broken = api.toBuilder().setApiListener(api.getApiListener().toBuilder().setApiListener(Any.pack(notAds))).build();

        assertThat(SnapshotValidator.validate(withListeners(PROXYLESS, replacing(PROXYLESS, api.getName(), l -> broken))))
                .singleElement().asString().contains("rds.config_source: is not ads");
    }

    @Test
    void httpFiltersThatDoNotEndWithTheTypedRouterAreReported() throws Exception {
        Listener api = PROXYLESS.listeners().get(0);
        HttpConnectionManager manager = api.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
        Listener broken = api.toBuilder().setApiListener(api.getApiListener().toBuilder()
                .setApiListener(Any.pack(manager.toBuilder().clearHttpFilters().build()))).build();

        assertThat(SnapshotValidator.validate(withListeners(PROXYLESS, replacing(PROXYLESS, api.getName(), l -> broken))))
                .singleElement().asString().contains("http_filters: must end with a typed envoy.filters.http.router");
    }

    @Test
    void aTcpProxyToAMissingClusterIsReported() {
        String db = "outbound|5432||db.default.svc.cluster.local";

        assertThat(SnapshotValidator.validate(withClusters(SIDECAR, clustersWithout(SIDECAR, db))))
                .anySatisfy(p -> assertThat(p).contains("tcp_proxy cluster").contains(db));
    }

    @Test
    void anInlineInboundRouteToAMissingClusterIsReported() {
        assertThat(SnapshotValidator.validate(withClusters(SIDECAR, clustersWithout(SIDECAR, "inbound|19080||"))))
                .anySatisfy(p -> assertThat(p).contains("Listener \"inbound|9080\"").contains("\"inbound|19080||\""));
    }

    @Test
    void duplicateNamesAreReportedPerType() {
        ProxyResources doubled = with(plus(SIDECAR.clusters(), SIDECAR.clusters().get(0)),
                plus(SIDECAR.endpoints(), SIDECAR.endpoints().get(0)), SIDECAR.listeners(),
                plus(SIDECAR.routes(), SIDECAR.routes().get(0)));

        assertThat(SnapshotValidator.validate(doubled)).containsExactly(
                "Cluster \"" + SIDECAR.clusters().get(0).getName() + "\": name appears more than once",
                "ClusterLoadAssignment \"" + SIDECAR.endpoints().get(0).getClusterName() + "\": name appears more than once",
                "RouteConfiguration \"outbound\": name appears more than once");
    }

    @Test
    void aDomainInTwoVirtualHostsIsReported() {
        ProxyResources broken = withRoutes(SIDECAR, outboundRoutes(config -> config.addVirtualHosts(
                config.getVirtualHosts(0).toBuilder().setName("copy"))));

        assertThat(SnapshotValidator.validate(broken)).isNotEmpty()
                .allSatisfy(p -> assertThat(p).contains("virtual host \"copy\"").contains("is also in another virtual host"));
    }

    @Test
    void aListenerAddressThatIsNotAnIpIsReported() {
        ProxyResources broken = withListeners(SIDECAR, replacing(SIDECAR, "outbound", l -> l.toBuilder()
                .setAddress(EnvoyProtos.socketAddress("reviews.local", 15001)).build()));

        assertThat(SnapshotValidator.validate(broken)).containsExactly(
                "Listener \"outbound\" address: \"reviews.local\" is not an IP address");
    }

    @Test
    void aListenerPortOutOfRangeIsReported() {
        ProxyResources broken = withListeners(SIDECAR, replacing(SIDECAR, "outbound", l -> l.toBuilder()
                .setAddress(EnvoyProtos.socketAddress("0.0.0.0", 70000)).build()));

        assertThat(SnapshotValidator.validate(broken)).containsExactly(
                "Listener \"outbound\" address: port 70000 is not in 1..65535");
    }

    @Test
    void twoListenersOnTheSameAddressAreReported() {
        ProxyResources broken = withListeners(SIDECAR, replacing(SIDECAR, "inbound", l -> l.toBuilder()
                .setAddress(EnvoyProtos.socketAddress("0.0.0.0", 15001)).build()));

        assertThat(SnapshotValidator.validate(broken)).containsExactly(
                "Listener \"inbound\" address: 0.0.0.0:15001 is also the address of Listener \"outbound\"");
    }

    @Test
    void twoFilterChainsWithTheSameMatchAreReported() {
        Listener outbound = listener(SIDECAR, "outbound");
        ProxyResources broken = withListeners(SIDECAR, replacing(SIDECAR, "outbound",
                l -> l.toBuilder().addFilterChains(outbound.getFilterChains(0)).build()));

        assertThat(SnapshotValidator.validate(broken)).singleElement().asString()
                .contains("filter_chain_match is the same as another chain's");
    }

    @Test
    void aListenerWithoutFilterChainsIsReported() {
        ProxyResources broken = withListeners(SIDECAR, replacing(SIDECAR, "inbound", l -> l.toBuilder().clearFilterChains().build()));

        assertThat(SnapshotValidator.validate(broken)).containsExactly("Listener \"inbound\": has no filter chain");
    }

    @Test
    void aLocalityOfWeightZeroIsReported() {
        List<ClusterLoadAssignment> endpoints = SIDECAR.endpoints().stream().map(a -> a.getClusterName().equals(V1)
                ? a.toBuilder().setEndpoints(0, a.getEndpoints(0).toBuilder().clearLoadBalancingWeight()).build() : a).toList();

        assertThat(SnapshotValidator.validate(withEndpoints(SIDECAR, endpoints))).singleElement().asString()
                .contains("ClusterLoadAssignment \"" + V1 + "\" endpoints[0]: load_balancing_weight must be > 0");
    }

    @Test
    void everyProblemIsReportedNotOnlyTheFirst() {
        ProxyResources broken = with(List.of(), List.of(), SIDECAR.listeners(), List.of());

        assertThat(SnapshotValidator.validate(broken)).hasSizeGreaterThan(3)
                .anySatisfy(p -> assertThat(p).contains("rds.route_config_name"))
                .anySatisfy(p -> assertThat(p).contains("tcp_proxy cluster"))
                .anySatisfy(p -> assertThat(p).contains("Listener \"inbound|9080\""));
    }

    @Test
    void aTcpProxyThatIsNotATcpProxyIsReported() {
        ProxyResources broken = withListeners(SIDECAR, replacing(SIDECAR, "outbound", l -> {
            var chain = l.getFilterChains(0).toBuilder();
            chain.getFiltersBuilder(0).setTypedConfig(Any.newBuilder()
                    .setTypeUrl(Any.pack(TcpProxy.getDefaultInstance()).getTypeUrl())
                    .setValue(com.google.protobuf.ByteString.copyFromUtf8("\u00ff\u00ff\u00ff")));
            return l.toBuilder().setFilterChains(0, chain).build();
        }));

        assertThat(SnapshotValidator.validate(broken)).singleElement().asString().contains("typed_config is not a TcpProxy");
    }

    @Test
    void aSharedRouteConfigurationIsCheckedAgainstEachGroupsOwnClusters() {
        SnapshotValidator.Memo memo = new SnapshotValidator.Memo();
        ProxyResources withoutV1 = withClusters(SIDECAR, clustersWithout(SIDECAR, V1));

        assertThat(SnapshotValidator.validate(SIDECAR, memo)).isEmpty();

        assertThat(SnapshotValidator.validate(withoutV1, memo)).isNotEmpty()
                .isEqualTo(SnapshotValidator.validate(withoutV1));
    }

    @Test
    void aMemoizedProblemOfASharedResourceIsReportedForEveryGroup() {
        SnapshotValidator.Memo memo = new SnapshotValidator.Memo();
        ProxyResources broken = withRoutes(SIDECAR, outboundRoutes(config -> config
                .setVirtualHosts(0, config.getVirtualHosts(0).toBuilder().clearDomains())));
        List<String> expected = SnapshotValidator.validate(broken);

        SnapshotValidator.validate(broken, memo);

        assertThat(expected).isNotEmpty();
        assertThat(SnapshotValidator.validate(broken, memo)).isEqualTo(expected);
    }
}
