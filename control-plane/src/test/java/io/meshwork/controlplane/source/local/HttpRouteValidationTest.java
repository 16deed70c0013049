package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.HttpRoute;
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
                        List.of(new HttpRoute.BackendRef(ObjectRef.of("default", "reviews-v2"), 9080, 10),
                                new HttpRoute.BackendRef(ObjectRef.of("default", "reviews-v1"), 9080, 1)),
                        Duration.ofSeconds(10), Duration.ofSeconds(2)),
                new HttpRoute.Rule("", List.of(HttpRoute.Match.ANY),
                        List.of(new HttpRoute.BackendRef(ObjectRef.of("default", "reviews-v1"), 9080, 1)), null, null));
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
    void backendRefsMustBeServicesWithAPortAndAWeightInRange() {
        assertThat(rejection("rules:\n- backendRefs: [{kind: Pod, name: p, port: 80}]\n"))
                .contains("spec.rules[0].backendRefs[0].kind: \"Pod\" is not a backend kind");
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
                """));

        assertThat(result.snapshot().httpRoutes()).containsKey(ROUTE);
        assertThat(result.problems()).extracting(ConfigProblem::withoutLocation).containsExactly(
                "HTTPRoute default/reviews: spec.rules[0].backendRefs[1].name: \"reviews-v3\" is not a Service in "
                        + "namespace default: requests for this backend's share (weight 2) are answered 500",
                "HTTPRoute default/reviews: spec.rules[0].backendRefs[2].port: Service reviews-v2 has no port 9081: "
                        + "requests for this backend's share (weight 1) are answered 500");
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
                "HTTPRoute default/reviews: spec.parentRefs[0].kind: \"Gateway\" parents are not served by Meshwork "
                        + "yet; only a Service parent (GAMMA) attaches this route",
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
}
