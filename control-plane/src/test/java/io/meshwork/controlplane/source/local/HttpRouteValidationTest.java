package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.ObjectRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gateway API HTTPRoute (GAMMA) in local mode: what is read, what is refused with which line, what is warned. */
class HttpRouteValidationTest {

    private static final ObjectRef ROUTE = ObjectRef.of("default", "reviews");
    private static final ObjectRef REVIEWS = ObjectRef.of("default", "reviews");

    private static LoadResult load(String... documents) {
        return new LocalConfigLoader().load(Map.of("mesh.yaml", docs(reviews()), "route.yaml", docs(documents)));
    }

    /** An HTTPRoute {@code default/reviews} attached to Service reviews, with {@code rules} (YAML under spec). */
    static String route(String apiVersion, String rules) {
        return """
                apiVersion: gateway.networking.k8s.io/%s
                kind: HTTPRoute
                metadata: {name: reviews, namespace: default, creationTimestamp: "2025-01-02T03:04:05Z"}
                spec:
                  parentRefs:
                  - {group: "", kind: Service, name: reviews, port: 9080}
                """.formatted(apiVersion) + rules.indent(2);
    }

    private static HttpRoute.BackendRef backend(String name, int weight) {
        return new HttpRoute.BackendRef(ObjectRef.of("default", name), 9080, weight, HttpRouteFilters.NONE);
    }

    private static String rules(String rules) {
        return route("v1", rules);
    }

    /** The one error line of a route whose rules are {@code rules}; the rest of the config must stay. */
    private static String rejection(String rules) {
        LoadResult result = load(rules(rules));
        assertThat(result.snapshot().httpRoutes()).as("route not applied").isEmpty();
        assertThat(result.snapshot().services()).as("the rest of the config").hasSize(3);
        List<ConfigProblem> errors = result.problems().stream()
                .filter(p -> p.severity() == ConfigProblem.Severity.ERROR).toList();
        assertThat(errors).hasSize(1);
        return errors.get(0).toString();
    }

    @Test
    void anHttpRouteIsReadWithEveryField() {
        LoadResult result = load(rules("""
                rules:
                - name: canary
                  matches:
                  - path: {type: PathPrefix, value: /api/}
                    headers: [{name: X-User, value: tester}, {type: RegularExpression, name: x-env, value: "qa|dev"}]
                    queryParams: [{name: debug, value: "1"}]
                    method: POST
                  - path: {type: Exact, value: /health}
                  backendRefs:
                  - {name: reviews-v2, port: 9080, weight: 10}
                  - {name: reviews-v1, port: 9080}
                  timeouts: {request: 10s, backendRequest: 2s}
                - backendRefs: [{name: reviews-v1, port: 9080}]
                """));

        assertThat(result.problems()).isEmpty();
        HttpRoute route = result.snapshot().httpRoutes().get(ROUTE);
        assertThat(route.created()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
        assertThat(route.parents()).containsExactly(new HttpRoute.ParentRef("", "Service", REVIEWS, 9080));
        assertThat(route.rules()).containsExactly(
                new HttpRoute.Rule("canary", List.of(
                        new HttpRoute.Match(new HttpRoute.PathMatch(HttpRoute.PathType.PATH_PREFIX, "/api"),
                                List.of(new HttpRoute.ValueMatch("x-user", false, "tester"),
                                        new HttpRoute.ValueMatch("x-env", true, "qa|dev")),
                                List.of(new HttpRoute.ValueMatch("debug", false, "1")), "POST"),
                        new HttpRoute.Match(new HttpRoute.PathMatch(HttpRoute.PathType.EXACT, "/health"), List.of(),
                                List.of(), "")),
                        List.of(backend("reviews-v2", 10), backend("reviews-v1", 1)),
                        Duration.ofSeconds(10), Duration.ofSeconds(2), HttpRouteFilters.NONE),
                new HttpRoute.Rule("", List.of(HttpRoute.Match.ANY),
                        List.of(backend("reviews-v1", 1)), null, null, HttpRouteFilters.NONE));
    }

    @Test
    void v1beta1IsReadAsV1() {
        String rules = "rules:\n- backendRefs: [{name: reviews-v1, port: 9080}]\n";
        LoadResult beta = load(route("v1beta1", rules));

        assertThat(beta.problems()).isEmpty();
        assertThat(beta.snapshot().httpRoutes()).isEqualTo(load(route("v1", rules)).snapshot().httpRoutes());
    }

    @Test
    void aRegexOutsideRe2IsRefusedNamingTheField() {
        assertThat(rejection("""
                rules:
                - matches: [{path: {type: RegularExpression, value: "/(?=admin)"}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """)).contains("HTTPRoute default/reviews: spec.rules[0].matches[0].path.value:")
                .contains("lookahead").contains("RE2");
        assertThat(rejection("""
                rules:
                - matches: [{headers: [{type: RegularExpression, name: x-user, value: "[a-"}]}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """)).contains("spec.rules[0].matches[0].headers[0].value: \"[a-\" is not a valid regex");
    }

    @Test
    void aFilterIsRefusedNamingItsType() {
        assertThat(rejection("""
                rules:
                - filters: [{type: ExtensionRef, extensionRef: {group: x.io, kind: Thing, name: t}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """)).contains("HTTPRoute default/reviews: spec.rules[0].filters[0].type: filter \"ExtensionRef\"");
    }

    @Test
    void badPathsMethodsAndMatchTypesAreRefused() {
        assertThat(rejection("rules:\n- matches: [{path: {type: PathPrefix, value: api}}]\n"))
                .contains("spec.rules[0].matches[0].path.value: \"api\" is not an absolute path");
        assertThat(rejection("rules:\n- matches: [{path: {type: Exact, value: /a//b}}]\n"))
                .contains("spec.rules[0].matches[0].path.value");
        assertThat(rejection("rules:\n- matches: [{path: {type: Glob, value: /a}}]\n"))
                .contains("spec.rules[0].matches[0].path.type: \"Glob\" is not a path match type");
        assertThat(rejection("rules:\n- matches: [{method: get}]\n"))
                .contains("spec.rules[0].matches[0].method: \"get\" is not an HTTP method");
        assertThat(rejection("rules:\n- matches: [{queryParams: [{type: Prefix, name: a, value: b}]}]\n"))
                .contains("spec.rules[0].matches[0].queryParams[0].type: \"Prefix\" is not a match type");
        assertThat(rejection("rules:\n- matches: [{headers: [{name: \"x y\", value: b}]}]\n"))
                .contains("spec.rules[0].matches[0].headers[0].name: \"x y\" is not a valid header name");
    }

    @Test
    void timeoutsMustBeGatewayApiDurationsWithTheTryNoLongerThanTheRequest() {
        assertThat(rejection("rules:\n- timeouts: {request: 1.5s}\n"))
                .contains("spec.rules[0].timeouts.request: \"1.5s\" is not a Gateway API duration");
        assertThat(rejection("rules:\n- timeouts: {request: 1s, backendRequest: 2s}\n"))
                .contains("spec.rules[0].timeouts.backendRequest: must not be longer than request (1s)");
    }

    @Test
    void serviceBackendRefsNeedAPortAndAWeightInRange() {
        assertThat(rejection("rules:\n- backendRefs: [{name: reviews-v1}]\n"))
                .contains("spec.rules[0].backendRefs[0].port: is required for a Service backend");
        assertThat(rejection("rules:\n- backendRefs: [{name: reviews-v1, port: 9080, weight: 1000001}]\n"))
                .contains("spec.rules[0].backendRefs[0].weight: 1000001 is not in 0..1000000");
    }

    @Test
    void aRouteWithoutParentsIsRefused() {
        LoadResult result = load("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews}
                spec:
                  rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]
                """);

        assertThat(result.problems()).singleElement().hasToString(
                "route.yaml doc 1 (line 5): HTTPRoute default/reviews: spec.parentRefs: at least one parentRef is "
                        + "required (a Service, for mesh traffic)");
    }

    @Test
    void aBackendThatIsNoServiceIsWarnedAndItsShareAnswers500() {
        LoadResult result = load(rules("""
                rules:
                - backendRefs:
                  - {name: reviews-v1, port: 9080}
                  - {name: reviews-v3, port: 9080, weight: 2}
                  - {name: reviews-v2, port: 9081}
                  - {kind: Pod, name: reviews-v1-abc, weight: 3}
                  - {group: storage.example.net, kind: Bucket, name: assets, port: 80}
                """));

        assertThat(result.snapshot().httpRoutes()).containsKey(ROUTE);
        assertThat(result.snapshot().httpRoutes().get(ROUTE).rules().get(0).backends())
                .extracting(HttpRoute.BackendRef::kind).containsExactly("Service", "Service", "Service", "Pod",
                        "storage.example.net/Bucket");
        assertThat(result.problems()).extracting(ConfigProblem::withoutLocation).containsExactly(
                "HTTPRoute default/reviews: spec.rules[0].backendRefs[1].name: \"reviews-v3\" is not a Service in "
                        + "namespace default: requests for this backend's share (weight 2) are answered 500",
                "HTTPRoute default/reviews: spec.rules[0].backendRefs[2].port: Service reviews-v2 has no port 9081: "
                        + "requests for this backend's share (weight 1) are answered 500",
                "HTTPRoute default/reviews: spec.rules[0].backendRefs[3].kind: \"Pod\" reviews-v1-abc is not a backend "
                        + "kind Meshwork routes to (Service) (InvalidKind): requests for this backend's share (weight 3) "
                        + "are answered 500",
                "HTTPRoute default/reviews: spec.rules[0].backendRefs[4].kind: \"storage.example.net/Bucket\" assets is "
                        + "not a backend kind Meshwork routes to (Service) (InvalidKind): requests for this backend's share "
                        + "(weight 1) are answered 500");
    }

    @Test
    void parentsThatAttachNothingAreWarned() {
        LoadResult result = load("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews}
                spec:
                  parentRefs:
                  - {name: public-gateway}
                  - {group: "", kind: Service, name: ratings}
                  - {group: core, kind: Service, name: reviews, port: 80}
                  rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]
                """);

        assertThat(result.problems()).extracting(ConfigProblem::withoutLocation).containsExactly(
                "HTTPRoute default/reviews: spec.parentRefs[0].name: \"public-gateway\" is not a Gateway in namespace "
                        + "default: this parentRef attaches the route to nothing",
                "HTTPRoute default/reviews: spec.parentRefs[1].name: \"ratings\" is not a Service in namespace "
                        + "default: this parentRef attaches the route to nothing",
                "HTTPRoute default/reviews: spec.parentRefs[2].port: Service reviews has no HTTP port 80: this "
                        + "parentRef attaches the route to nothing");
    }

    @Test
    void aTrafficSplitOfARoutedServicePortIsReportedOverriddenNamingBoth() {
        LoadResult result = load(split("reviews-split", "reviews", "reviews-v1", 90, "reviews-v2", 10),
                rules("rules:\n- backendRefs: [{name: reviews-v1, port: 9080}]\n"));

        assertThat(result.snapshot().splits()).hasSize(1);
        assertThat(result.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.severity()).isEqualTo(ConfigProblem.Severity.WARNING);
            assertThat(problem.withoutLocation()).isEqualTo("TrafficSplit default/reviews-split: spec.service: "
                    + "overridden by HTTPRoute default/reviews on port 9080 of Service default/reviews: the HTTPRoute "
                    + "routes those calls, this split does not");
        });
    }

    @Test
    void everyFilterIsReadOnTheRuleAndHeaderModifiersOnABackendRef() {
        LoadResult result = load(rules("""
                rules:
                - matches: [{path: {value: /api}}]
                  filters:
                  - type: RequestHeaderModifier
                    requestHeaderModifier: {set: [{name: X-Set, value: a}], add: [{name: x-add, value: b}], remove: [x-gone]}
                  - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [server]}}
                  - {type: URLRewrite, urlRewrite: {hostname: api.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}
                  - {type: RequestMirror, requestMirror: {backendRef: {name: reviews-v2, port: 9080}, percent: 10}}
                  - {type: RequestMirror, requestMirror: {backendRef: {name: reviews-v1, port: 9080}, fraction: {numerator: 1, denominator: 3}}}
                  backendRefs:
                  - name: reviews-v1
                    port: 9080
                    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x-backend, value: v1}]}}]
                - matches: [{path: {type: Exact, value: /old}}]
                  filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: new.example, port: 8443, statusCode: 301, path: {type: ReplaceFullPath, replaceFullPath: /new}}}]
                """));

        assertThat(result.problems()).isEmpty();
        List<HttpRoute.Rule> rules = result.snapshot().httpRoutes().get(ROUTE).rules();
        assertThat(rules.get(0).filters()).isEqualTo(new HttpRouteFilters(
                new HttpRouteFilters.HeaderModifier(List.of(new HttpRouteFilters.Header("X-Set", "a")),
                        List.of(new HttpRouteFilters.Header("x-add", "b")), List.of("x-gone")),
                new HttpRouteFilters.HeaderModifier(List.of(), List.of(), List.of("server")), null,
                new HttpRouteFilters.Rewrite("api.internal", new HttpRouteFilters.PathModifier(false, "/v2")),
                List.of(new HttpRouteFilters.Mirror(backend("reviews-v2", 1), 10, 100),
                        new HttpRouteFilters.Mirror(backend("reviews-v1", 1), 1, 3))));
        assertThat(rules.get(0).backends().get(0).filters().requestHeaders().add())
                .containsExactly(new HttpRouteFilters.Header("x-backend", "v1"));
        assertThat(rules.get(1).filters().redirect()).isEqualTo(new HttpRouteFilters.Redirect("https", "new.example", 8443,
                new HttpRouteFilters.PathModifier(true, "/new"), 301));
    }

    @Test
    void filtersTheSpecForbidsTogetherOrInThatPlaceAreRefused() {
        assertThat(rejection("""
                rules:
                - filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """)).contains("spec.rules[0].backendRefs: must be empty in a rule with a RequestRedirect");
        assertThat(rejection("""
                rules:
                - filters:
                  - {type: RequestRedirect, requestRedirect: {scheme: https}}
                  - {type: URLRewrite, urlRewrite: {hostname: a.example}}
                """)).contains("spec.rules[0].filters: RequestRedirect and URLRewrite cannot be used together");
        assertThat(rejection("""
                rules:
                - matches: [{path: {type: Exact, value: /a}}]
                  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """)).contains("spec.rules[0].filters: ReplacePrefixMatch needs every match of the rule to be a PathPrefix");
        assertThat(rejection("""
                rules:
                - backendRefs:
                  - {name: reviews-v1, port: 9080, filters: [{type: URLRewrite, urlRewrite: {hostname: a.example}}]}
                """)).contains("spec.rules[0].backendRefs[0].filters[0].type: filter \"URLRewrite\" is not supported on a "
                + "backendRef");
        assertThat(rejection("""
                rules:
                - filters:
                  - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [a]}}
                  - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [b]}}
                """)).contains("spec.rules[0].filters[1].type: RequestHeaderModifier appears more than once");
    }

    @Test
    void badFilterFieldsAreRefusedNamingTheField() {
        assertThat(rejection("rules:\n- filters: [{type: RequestRedirect, requestRedirect: {statusCode: 305}}]\n"))
                .contains("spec.rules[0].filters[0].requestRedirect.statusCode: 305 is not a redirect status");
        assertThat(rejection("rules:\n- filters: [{type: RequestRedirect, requestRedirect: {scheme: ftp}}]\n"))
                .contains("spec.rules[0].filters[0].requestRedirect.scheme: \"ftp\" is not http or https");
        assertThat(rejection("rules:\n- filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: \"a b\", value: c}]}}]\n"))
                .contains("spec.rules[0].filters[0].requestHeaderModifier.set[0].name: \"a b\" is not a valid header name");
        assertThat(rejection("rules:\n- filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: x}}}]\n"))
                .contains("spec.rules[0].filters[0].urlRewrite.path.replaceFullPath: \"x\" is not an absolute path");
        assertThat(rejection("rules:\n- filters: [{type: RequestMirror, requestMirror: {backendRef: {name: reviews-v2, port: 9080}, percent: 101}}]\n"))
                .contains("spec.rules[0].filters[0].requestMirror.percent: 101 is not in 0..100");
        assertThat(rejection("rules:\n- filters: [{type: RequestMirror, requestMirror: {backendRef: {name: reviews-v2}}}]\n"))
                .contains("spec.rules[0].filters[0].requestMirror.backendRef.port: is required for a Service backend");
    }

    @Test
    void aMirrorToNoServiceIsWarned() {
        LoadResult result = load(rules("""
                rules:
                - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 9080}}}]
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """));

        assertThat(result.problems()).extracting(ConfigProblem::withoutLocation).containsExactly(
                "HTTPRoute default/reviews: spec.rules[0].filters: RequestMirror: \"shadow\" is not a Service in "
                        + "namespace default: this mirror copies nothing");
    }
}
