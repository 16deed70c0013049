package io.meshwork.controlplane.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HTTPRoutes (GAMMA) in the outbound RouteConfiguration: Envoy's own fields, the spec's precedence, what they override. */
class GammaRoutesTest {

    private static final String V1 = "outbound|9080||reviews-v1.default.svc.cluster.local";
    private static final String V2 = "outbound|9080||reviews-v2.default.svc.cluster.local";
    private static final ProxyNode FRONTEND = ProxyNode.sidecar(ObjectRef.of("default", "frontend"), "frontend");

    private static final String MESH = """
            apiVersion: v1
            kind: Service
            metadata: {name: reviews}
            spec:
              selector: {app: reviews}
              ports: [{name: http, port: 9080}, {name: admin, port: 9090, appProtocol: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews-v1}
            spec:
              selector: {app: reviews, version: v1}
              ports: [{name: http, port: 9080}, {name: admin, port: 9090, appProtocol: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews-v2}
            spec:
              selector: {app: reviews, version: v2}
              ports: [{name: http, port: 9080}, {name: admin, port: 9090, appProtocol: http}]
            """;

    private static String route(String name, String created, String parent, String rules) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: %s, creationTimestamp: "%s"}
                spec:
                  parentRefs: [%s]
                """.formatted(name, created, parent) + rules.indent(2);
    }

    private static MeshSnapshot load(String... documents) {
        return new LocalConfigLoader().load(Map.of("mesh.yaml", MESH, "routes.yaml", String.join("---\n", documents)))
                .snapshot();
    }

    private static VirtualHost host(ProxyResources resources, String name) {
        return resources.routes().stream().flatMap(c -> c.getVirtualHostsList().stream())
                .filter(h -> h.getName().equals(name)).findFirst().orElseThrow();
    }

    private static VirtualHost reviews(MeshSnapshot snapshot, int port) {
        return host(Translator.translate(snapshot, FRONTEND), "reviews.default.svc.cluster.local:" + port);
    }

    @Test
    void matchesBecomeEnvoysOwnFieldsWithSegmentPrefixesQueryParametersAndMethod() {
        VirtualHost host = reviews(load(route("reviews", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}", """
                rules:
                - matches:
                  - path: {type: PathPrefix, value: /api/}
                    headers: [{name: x-user, value: tester}, {type: RegularExpression, name: x-env, value: "qa|dev"}]
                    queryParams: [{name: debug, value: "1"}]
                    method: POST
                  backendRefs: [{name: reviews-v2, port: 9080}]
                """)), 9080);

        assertThat(host.getRoutesList()).singleElement().satisfies(route -> {
            assertThat(route.getName()).isEqualTo("default/reviews/rule/0/match/0");
            assertThat(route.getMatch().getPathSeparatedPrefix()).isEqualTo("/api");
            assertThat(route.getMatch().getHeadersList()).extracting(h -> h.getName() + "="
                            + h.getStringMatch().getExact() + "~" + h.getStringMatch().getSafeRegex().getRegex())
                    .containsExactly(":method=POST~", "x-user=tester~", "x-env=~qa|dev");
            assertThat(route.getMatch().getQueryParameters(0).getName()).isEqualTo("debug");
            assertThat(route.getMatch().getQueryParameters(0).getStringMatch().getExact()).isEqualTo("1");
            assertThat(route.getRoute().getCluster()).isEqualTo(V2);
        });
    }

    @Test
    void rulesAcrossRoutesAreOrderedAsTheSpecSays() {
        String older = route("older", "2024-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}", """
                rules:
                - matches: [{path: {type: PathPrefix, value: /a}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                - matches: [{path: {type: PathPrefix, value: /}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """);
        String newer = route("newer", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}", """
                rules:
                - matches: [{path: {type: PathPrefix, value: /a}}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - matches: [{path: {type: PathPrefix, value: /a}, headers: [{name: x-a, value: "1"}]}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - matches: [{path: {type: PathPrefix, value: /a}, method: GET}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - matches: [{path: {type: Exact, value: /a/b}}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - matches: [{path: {type: PathPrefix, value: /a/b/c}}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - matches: [{path: {type: PathPrefix, value: /a}, queryParams: [{name: q, value: "1"}]}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                """);

        assertThat(reviews(load(newer, older), 9080).getRoutesList()).extracting(Route::getName).containsExactly(
                "default/newer/rule/3/match/0",   // exact
                "default/newer/rule/4/match/0",   // the longest prefix
                "default/newer/rule/2/match/0",   // a method
                "default/newer/rule/1/match/0",   // a header
                "default/newer/rule/5/match/0",   // a query parameter
                "default/older/rule/0/match/0",   // the same match: the older route
                "default/newer/rule/0/match/0",
                "default/older/rule/1/match/0");
    }

    @Test
    void aParentPortScopesTheRouteAndItsTrafficSplitIsOverriddenThereOnly() {
        MeshSnapshot snapshot = load(route("reviews", "2025-01-01T00:00:00Z",
                "{kind: Service, group: '', name: reviews, port: 9080}", """
                rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]
                """), """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: reviews-split}
                spec:
                  service: reviews
                  backends: [{service: reviews-v1, weight: 50}, {service: reviews-v2, weight: 50}]
                """);

        assertThat(reviews(snapshot, 9080).getRoutesList()).singleElement().satisfies(route -> {
            assertThat(route.getMatch().getPrefix()).isEqualTo("/");
            assertThat(route.getRoute().getCluster()).isEqualTo(V1);
        });
        // Port 9090 is not the route's: the split still routes it.
        assertThat(reviews(snapshot, 9090).getRoutesList()).singleElement()
                .satisfies(route -> assertThat(route.getRoute().getWeightedClusters().getClustersCount()).isEqualTo(2));
    }

    @Test
    void weightsTimeoutsAndBackendsThatCannotBeCalledUseEnvoysFields() {
        MeshSnapshot snapshot = load(route("reviews", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}", """
                rules:
                - backendRefs:
                  - {name: reviews-v1, port: 9080, weight: 70}
                  - {name: reviews-v2, port: 9080, weight: 30}
                  - {name: reviews-v3, port: 9080, weight: 10}
                  - {name: reviews-v2, port: 9080, weight: 0}
                  - {group: storage.example.net, kind: Bucket, name: reviews-v1, weight: 5}
                  timeouts: {request: 3s, backendRequest: 500ms}
                """));
        ProxyResources resources = Translator.translate(snapshot, FRONTEND);

        RouteAction action = host(resources, "reviews.default.svc.cluster.local:9080").getRoutes(0).getRoute();
        assertThat(action.getWeightedClusters().getClustersList()).as("a missing Service's share and another kind's "
                        + "(named like a Service) answer 500")
                .extracting(WeightedCluster.ClusterWeight::getName, c -> c.getWeight().getValue())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(GammaRoutes.INVALID_BACKEND, 15),
                        org.assertj.core.groups.Tuple.tuple(V1, 70), org.assertj.core.groups.Tuple.tuple(V2, 30));
        assertThat(action.getClusterNotFoundResponseCode())
                .isEqualTo(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
        assertThat(action.getTimeout().getSeconds()).isEqualTo(3);
        assertThat(action.getRetryPolicy().getNumRetries().getValue()).isZero();
        assertThat(action.getRetryPolicy().getPerTryTimeout().getNanos()).isEqualTo(500_000_000);
        assertThat(SnapshotValidator.validate(resources)).as("the 500 share is no dangling reference").isEmpty();
    }

    @Test
    void aRuleWithoutBackendsAnswers500() {
        RouteAction action = reviews(load(route("reviews", "2025-01-01T00:00:00Z",
                "{kind: Service, group: '', name: reviews}", "rules: [{matches: [{path: {value: /}}]}]\n")), 9080)
                .getRoutes(0).getRoute();

        assertThat(action.getCluster()).isEqualTo(GammaRoutes.INVALID_BACKEND);
        assertThat(action.getClusterNotFoundResponseCode())
                .isEqualTo(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
    }

    @Test
    void proxylessClientsGetTheSegmentPrefixAsARegex() {
        MeshSnapshot snapshot = load(route("reviews", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}", """
                rules: [{matches: [{path: {value: /a.b}}], backendRefs: [{name: reviews-v1, port: 9080}]}]
                """));

        List<RouteConfiguration> configs = Translator.translate(snapshot, ProxyNode.proxyless("default")).routes();
        Route route = configs.stream().filter(c -> c.getName().equals("reviews.default.svc.cluster.local:9080"))
                .findFirst().orElseThrow().getVirtualHosts(0).getRoutes(0);
        assertThat(route.getMatch().getSafeRegex().getRegex()).isEqualTo("/a\\.b(/.*)?");
        assertThat(reviews(snapshot, 9080).getRoutes(0).getMatch().getPathSeparatedPrefix()).isEqualTo("/a.b");
    }

    @Test
    void filtersBecomeEnvoysRouteFields() {
        VirtualHost host = reviews(load(route("reviews", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}", """
                rules:
                - matches: [{path: {value: /api}}]
                  filters:
                  - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Set, value: a}], add: [{name: x-add, value: b}], remove: [X-Gone]}}
                  - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [server]}}
                  - {type: URLRewrite, urlRewrite: {hostname: api.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2/}}}
                  - {type: RequestMirror, requestMirror: {backendRef: {name: reviews-v2, port: 9080}, percent: 10}}
                  - {type: RequestMirror, requestMirror: {backendRef: {name: reviews-v1, port: 9080}, fraction: {numerator: 1, denominator: 3}}}
                  backendRefs:
                  - {name: reviews-v1, port: 9080, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x-b, value: v1}]}}]}
                - matches: [{path: {value: /strip}}]
                  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                - matches: [{path: {value: /full}}]
                  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                - matches: [{path: {value: /moved}}]
                  filters: [{type: RequestRedirect, requestRedirect: {hostname: new.example, statusCode: 301}}]
                - matches: [{path: {value: /secure}}]
                  filters: [{type: RequestRedirect, requestRedirect: {scheme: https, path: {type: ReplacePrefixMatch, replacePrefixMatch: /s}}}]
                """)), 9080);
        Map<String, Route> byPath = new java.util.HashMap<>();
        host.getRoutesList().forEach(r -> byPath.put(r.getMatch().getPathSeparatedPrefix(), r));

        Route api = byPath.get("/api");
        assertThat(api.getRequestHeadersToAddList()).extracting(h -> h.getHeader().getKey() + "=" + h.getHeader().getValue()
                + " " + h.getAppendAction()).containsExactly("x-set=a OVERWRITE_IF_EXISTS_OR_ADD",
                "x-add=b APPEND_IF_EXISTS_OR_ADD");
        assertThat(api.getRequestHeadersToRemoveList()).containsExactly("x-gone");
        assertThat(api.getResponseHeadersToRemoveList()).containsExactly("server");
        assertThat(api.getRoute().getHostRewriteLiteral()).isEqualTo("api.internal");
        assertThat(api.getRoute().getPrefixRewrite()).isEqualTo("/v2");
        assertThat(api.getRoute().getRequestMirrorPoliciesList()).extracting(m -> m.getCluster() + " "
                + m.getRuntimeFraction().getDefaultValue().getNumerator() + "/"
                + m.getRuntimeFraction().getDefaultValue().getDenominator())
                .containsExactly(V2 + " 10/HUNDRED", V1 + " 333333/MILLION");
        assertThat(api.getRoute().getWeightedClusters().getClusters(0).getRequestHeadersToAdd(0).getHeader().getKey())
                .isEqualTo("x-b");
        assertThat(byPath.get("/strip").getRoute().getRegexRewrite().getPattern().getRegex()).isEqualTo("^/strip/*");
        assertThat(byPath.get("/strip").getRoute().getRegexRewrite().getSubstitution()).isEqualTo("/");
        assertThat(byPath.get("/full").getRoute().getRegexRewrite().getSubstitution()).isEqualTo("/one");
        assertThat(byPath.get("/moved").getRedirect().getHostRedirect()).isEqualTo("new.example");
        assertThat(byPath.get("/moved").getRedirect().getPortRedirect()).as("the Service port called").isEqualTo(9080);
        assertThat(byPath.get("/moved").getRedirect().getResponseCode())
                .isEqualTo(io.envoyproxy.envoy.config.route.v3.RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
        assertThat(byPath.get("/secure").getRedirect().getSchemeRedirect()).isEqualTo("https");
        assertThat(byPath.get("/secure").getRedirect().getPortRedirect()).as("https's own").isEqualTo(443);
        assertThat(byPath.get("/secure").getRedirect().getPrefixRewrite()).isEqualTo("/s");
    }

    @Test
    void aConsumerRouteRoutesItsOwnNamespacesCallsOnlyOverridingTheProducersThere() {
        MeshSnapshot snapshot = load(route("reviews", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews}",
                "rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]\n"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews-for-shop, namespace: shop}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews, namespace: default}]
                  rules: [{backendRefs: [{name: reviews, namespace: default, port: 9080}]}]
                """);
        TranslationCache cache = Translator.forSnapshot(snapshot);
        String reviews = "reviews.default.svc.cluster.local:9080";

        RouteAction shop = host(cache.translate(ProxyNode.sidecar(ObjectRef.of("shop", "cart"), "cart")), reviews)
                .getRoutes(0).getRoute();
        assertThat(shop.getCluster()).isEqualTo("outbound|9080||reviews.default.svc.cluster.local");
        for (String namespace : List.of("default", "other")) {
            RouteAction producer = host(cache.translate(ProxyNode.sidecar(ObjectRef.of(namespace, "w"), "w")), reviews)
                    .getRoutes(0).getRoute();
            assertThat(producer.getCluster()).as(namespace).isEqualTo(V1);
        }
        assertThat(host(cache.translate(ProxyNode.sidecar(ObjectRef.of("shop", "cart"), "cart")), reviews)
                .getRoutes(0).getRoute().getCluster()).as("shared hosts keep the consumer's apart")
                .isEqualTo("outbound|9080||reviews.default.svc.cluster.local");
    }

    @Test
    void aMeshFaultInjectionAndAMeshMirrorApplyToEveryHttpRouteRuleOfTheirTarget() throws Exception {
        VirtualHost host = reviews(load(route("reviews", "2025-01-01T00:00:00Z", "{kind: Service, group: '', name: reviews, port: 9080}", """
                rules:
                - matches: [{path: {type: PathPrefix, value: /api}}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - backendRefs: [{name: reviews-v1, port: 9080}]
                """), """
                apiVersion: meshwork.io/v1alpha1
                kind: MeshFaultInjection
                metadata: {name: reviews}
                spec:
                  targetRef: {kind: Service, name: reviews, port: 9080}
                  abort: {httpStatus: 503, percentage: 5}
                ---
                apiVersion: meshwork.io/v1alpha1
                kind: MeshMirror
                metadata: {name: reviews}
                spec:
                  targetRef: {kind: Service, name: reviews}
                  backend: {name: reviews-v2}
                """), 9080);

        assertThat(host.getRoutesList()).hasSize(2).allSatisfy(route -> {
            assertThat(route.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault")
                    .unpack(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.class).getAbort()
                    .getHttpStatus()).isEqualTo(503);
            assertThat(route.getRoute().getRequestMirrorPoliciesList()).extracting(m -> m.getCluster())
                    .containsExactly(V2);
        });
    }
}
