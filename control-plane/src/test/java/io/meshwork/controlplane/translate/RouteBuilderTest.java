package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.backend;
import static io.meshwork.controlplane.translate.MeshFixture.grpc;
import static io.meshwork.controlplane.translate.MeshFixture.headerMatch;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.pathMatch;
import static io.meshwork.controlplane.translate.MeshFixture.port;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@SuppressWarnings("deprecation") // safe_regex_match and google_re2 are what grpc-java reads
class RouteBuilderTest {

    private static final ProxyNode FRONTEND = ProxyNode.sidecar(ref("default/frontend-1"), "frontend");
    private static final String V1 = "outbound|9080||reviews-v1.default.svc.cluster.local";
    private static final String V2 = "outbound|9080||reviews-v2.default.svc.cluster.local";

    private static MeshFixture reviews() {
        return MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .service("default/reviews-v1", "app=reviews,version=v1", http(9080))
                .service("default/reviews-v2", "app=reviews,version=v2", http(9080));
    }

    private static RouteConfiguration outbound(MeshSnapshot mesh, ProxyNode proxy) {
        List<RouteConfiguration> configs = new RouteBuilder(mesh, proxy).build();
        assertThat(configs).extracting(RouteConfiguration::getName).containsExactly("outbound");
        return configs.get(0);
    }

    private static VirtualHost host(RouteConfiguration config, String name) {
        return config.getVirtualHostsList().stream().filter(h -> h.getName().equals(name)).findFirst().orElseThrow();
    }

    private static VirtualHost reviewsHost(MeshSnapshot mesh) {
        return host(outbound(mesh, FRONTEND), "reviews.default.svc.cluster.local:9080");
    }

    @Test
    void aVirtualHostHasEveryHostNameFormWithAndWithoutPortIncludingTheShortNameFromTheSameNamespace() {
        VirtualHost host = reviewsHost(reviews().build());

        assertThat(host.getDomainsList()).containsExactlyInAnyOrder(
                "reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080",
                "reviews.default.svc", "reviews.default.svc:9080",
                "reviews.default", "reviews.default:9080",
                "reviews", "reviews:9080");
    }

    @Test
    void theShortNameIsLeftOutForAClientInAnotherNamespace() {
        RouteConfiguration config = outbound(reviews().build(), ProxyNode.sidecar(ref("shop/cart-1"), "cart"));

        assertThat(host(config, "reviews.default.svc.cluster.local:9080").getDomainsList())
                .doesNotContain("reviews", "reviews:9080")
                .contains("reviews.default:9080");
    }

    @Test
    void portlessNamesAreOnlyOnTheServicesFirstHttpPort() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080), port("admin", 9901, Protocol.HTTP))
                .build();

        VirtualHost admin = host(outbound(mesh, FRONTEND), "reviews.default.svc.cluster.local:9901");

        assertThat(admin.getDomainsList()).allMatch(domain -> domain.endsWith(":9901"));
    }

    @Test
    void tcpPortsGetNoVirtualHost() {
        MeshSnapshot mesh = MeshFixture.mesh().service("default/db", "app=db", tcp(5432)).build();

        assertThat(outbound(mesh, FRONTEND).getVirtualHostsList()).isEmpty();
    }

    @Test
    void aServiceWithoutSplitRoutesEverythingToItsOwnCluster() {
        Route route = reviewsHost(reviews().build()).getRoutes(0);

        assertThat(route.getMatch().getPrefix()).isEqualTo("/");
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080||reviews.default.svc.cluster.local");
    }

    @Test
    void aDefaultSplitBecomesWeightedClustersOfTheBackendsAtTheRootPort() {
        MeshSnapshot mesh = reviews()
                .split("default/reviews-split", "reviews", backend("reviews-v1", 90), backend("reviews-v2", 10))
                .build();

        WeightedCluster weighted = reviewsHost(mesh).getRoutes(0).getRoute().getWeightedClusters();

        assertThat(weighted.getClustersList()).extracting(WeightedCluster.ClusterWeight::getName, c -> c.getWeight().getValue())
                .containsExactly(tuple(V1, 90), tuple(V2, 10));
    }

    @Test
    void backendsOfWeightZeroAreLeftOut() {
        MeshSnapshot mesh = reviews()
                .split("default/reviews-split", "reviews", backend("reviews-v1", 0), backend("reviews-v2", 100))
                .build();

        Route route = reviewsHost(mesh).getRoutes(0);

        assertThat(route.getRoute().hasWeightedClusters()).isFalse();
        assertThat(route.getRoute().getCluster()).isEqualTo(V2);
    }

    @Test
    void aBackendThatIsNoServiceKeepsItsClusterNameSoValidationRejectsTheGroup() {
        MeshSnapshot mesh = reviews()
                .split("default/reviews-split", "reviews", backend("reviews-v1", 50), backend("reviews-v3", 50))
                .build();

        List<WeightedCluster.ClusterWeight> clusters = reviewsHost(mesh).getRoutes(0).getRoute().getWeightedClusters().getClustersList();

        assertThat(clusters).extracting(WeightedCluster.ClusterWeight::getName)
                .containsExactly(V1, "outbound|9080||reviews-v3.default.svc.cluster.local");
        assertThat(SnapshotValidator.validate(Translator.translate(mesh, FRONTEND)))
                .singleElement().asString().contains("reviews-v3.default.svc.cluster.local\" is not among the clusters");
    }

    @Test
    void aSplitWithNoWeightLeftIsRejectedByValidation() {
        MeshSnapshot mesh = reviews()
                .split("default/reviews-split", "reviews", backend("reviews-v1", 0), backend("reviews-v2", 0))
                .build();

        assertThat(SnapshotValidator.validate(Translator.translate(mesh, FRONTEND)))
                .singleElement().asString().contains("weights must add up to more than 0");
    }

    @Test
    void hugeRelativeWeightsAreScaledToFitAUint32() {
        MeshSnapshot mesh = reviews()
                .split("default/reviews-split", "reviews", backend("reviews-v1", 6_000_000_000L), backend("reviews-v2", 2_000_000_000L))
                .build();

        List<WeightedCluster.ClusterWeight> clusters = reviewsHost(mesh).getRoutes(0).getRoute().getWeightedClusters().getClustersList();

        long total = clusters.stream().mapToLong(c -> Integer.toUnsignedLong(c.getWeight().getValue())).sum();
        assertThat(total).isLessThanOrEqualTo(Integer.MAX_VALUE);
        assertThat(clusters.get(0).getWeight().getValue()).isEqualTo(3 * clusters.get(1).getWeight().getValue());
    }

    @Test
    void matchedSplitsComeAheadOfTheDefaultRouteOneRoutePerMatch() {
        MeshSnapshot mesh = reviews()
                .split("default/reviews-split", "reviews", backend("reviews-v1", 1))
                .routeGroup("default/canary", headerMatch("by-header", "x-canary", "true"), pathMatch("by-path", "/beta/.*"))
                .matchedSplit("default/reviews-canary", "reviews", "canary", backend("reviews-v2", 1))
                .build();

        List<Route> routes = reviewsHost(mesh).getRoutesList();

        assertThat(routes).extracting(Route::getName).containsExactly(
                "default/reviews-canary/canary/by-header", "default/reviews-canary/canary/by-path", "default");
        assertThat(routes).extracting(r -> r.getRoute().getCluster()).containsExactly(V2, V2, V1);
    }

    @Test
    void aSplitMatchingSomethingOtherThanAnHttpRouteGroupAddsNoHttpRoute() {
        MeshSnapshot mesh = reviews()
                .routeGroup("default/canary", headerMatch("by-header", "x-canary", "true"))
                .split(new TrafficSplit(ref("default/reviews-tcp"), "reviews", List.of(backend("reviews-v2", 1)),
                        List.of(new TrafficSplit.RouteGroupMatch("TCPRoute", "canary", List.of()))))
                .build();

        assertThat(reviewsHost(mesh).getRoutesList()).extracting(Route::getName).containsExactly("default");
    }

    @Test
    void headersOfOneMatchAreAllSafeRegexMatchersOnTheSameRoute() {
        MeshSnapshot mesh = reviews()
                .routeGroup("default/canary", new HttpRouteGroup.Match(
                        "both", "", List.of(), Map.of("x-canary", "true", "x-user", "jason|kim")))
                .matchedSplit("default/reviews-canary", "reviews", "canary", backend("reviews-v2", 1))
                .build();

        List<HeaderMatcher> headers = reviewsHost(mesh).getRoutes(0).getMatch().getHeadersList();

        assertThat(headers).extracting(HeaderMatcher::getName, h -> h.getSafeRegexMatch().getRegex())
                .containsExactly(tuple("x-canary", "true"),
                        tuple("x-user", "jason|kim"));
        assertThat(headers).allMatch(h -> h.getSafeRegexMatch().hasGoogleRe2());
    }

    @Test
    void aPathRegexBecomesASafeRegexWithTheRe2Engine() {
        MeshSnapshot mesh = reviews()
                .routeGroup("default/api", pathMatch("api", "/api/v[0-9]+/.*"))
                .matchedSplit("default/reviews-api", "reviews", "api", backend("reviews-v2", 1))
                .build();

        var match = reviewsHost(mesh).getRoutes(0).getMatch();

        assertThat(match.getSafeRegex().getRegex()).isEqualTo("/api/v[0-9]+/.*");
        assertThat(match.getSafeRegex().hasGoogleRe2()).isTrue();
    }

    @Test
    void methodsBecomeAMethodPseudoHeaderMatch() {
        MeshSnapshot mesh = reviews()
                .routeGroup("default/writes", pathMatch("writes", "", "post", "PUT"))
                .matchedSplit("default/reviews-writes", "reviews", "writes", backend("reviews-v2", 1))
                .build();

        HeaderMatcher method = reviewsHost(mesh).getRoutes(0).getMatch().getHeaders(0);

        assertThat(method.getName()).isEqualTo(":method");
        assertThat(method.getSafeRegexMatch().getRegex()).isEqualTo("POST|PUT");
    }

    @Test
    void aWildcardMethodAddsNoMethodMatch() {
        MeshSnapshot mesh = reviews()
                .routeGroup("default/all", pathMatch("all", "/x", "*"))
                .matchedSplit("default/reviews-all", "reviews", "all", backend("reviews-v2", 1))
                .build();

        assertThat(reviewsHost(mesh).getRoutes(0).getMatch().getHeadersList()).isEmpty();
    }

    @Test
    void grpcPortsHaveNoRouteTimeoutSoStreamsAreNotCut() {
        MeshSnapshot mesh = MeshFixture.mesh().service("default/greeter", "app=greeter", grpc(7070)).build();

        Route route = host(outbound(mesh, FRONTEND), "greeter.default.svc.cluster.local:7070").getRoutes(0);

        assertThat(route.getRoute().getTimeout().getSeconds()).isZero();
        assertThat(route.getRoute().hasTimeout()).isTrue();
    }

    @Test
    void httpPortsHaveAFifteenSecondRouteTimeout() {
        assertThat(reviewsHost(reviews().build()).getRoutes(0).getRoute().getTimeout().getSeconds()).isEqualTo(15);
    }

    @Test
    void aProxylessClientGetsOneRouteConfigurationPerServicePort() {
        MeshSnapshot mesh = reviews().split("default/s", "reviews", backend("reviews-v1", 9), backend("reviews-v2", 1)).build();

        List<RouteConfiguration> configs = new RouteBuilder(mesh, ProxyNode.proxyless("default")).build();

        assertThat(configs).extracting(RouteConfiguration::getName).containsExactly(
                "reviews.default.svc.cluster.local:9080", "reviews-v1.default.svc.cluster.local:9080",
                "reviews-v2.default.svc.cluster.local:9080");
        assertThat(configs.get(0).getVirtualHosts(0).getRoutes(0).getRoute().getWeightedClusters().getClustersCount())
                .isEqualTo(2);
    }
}
