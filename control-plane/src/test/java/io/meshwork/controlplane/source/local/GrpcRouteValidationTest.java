package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gateway API GRPCRoute (GAMMA) in local mode: how method matches are read and routed, what is refused with which line. */
class GrpcRouteValidationTest {

    private static final ObjectRef ROUTE = ObjectRef.of("default", "reviews");

    private static LoadResult load(String... documents) {
        return new LocalConfigLoader().load(Map.of("mesh.yaml", docs(reviews()), "route.yaml", docs(documents)));
    }

    private static String route(String rules) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: reviews, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
                """ + rules.indent(2);
    }

    /** The one error line of a route whose rules are {@code rules}; the rest of the config stays. */
    private static String rejection(String rules) {
        LoadResult result = load(route(rules));
        assertThat(result.snapshot().grpcRoutes()).as("route not applied").isEmpty();
        assertThat(result.snapshot().services()).as("the rest of the config").hasSize(3);
        List<ConfigProblem> errors = result.errors();
        assertThat(errors).hasSize(1);
        return errors.get(0).toString();
    }

    @Test
    void methodMatchesBecomeThePathsAGrpcCallIsRoutedBy() {
        LoadResult result = load(route("""
                rules:
                - matches:
                  - method: {service: reviews.Reviews, method: Get}
                  - method: {service: reviews.Reviews}
                  - method: {method: List}
                  - method: {type: RegularExpression, service: "reviews\\\\..*", method: "Get|List"}
                    headers: [{name: x-tenant, value: blue}]
                  backendRefs: [{name: reviews-v2, port: 9080, weight: 3}]
                - backendRefs: [{name: reviews-v1, port: 9080}]
                """));

        assertThat(result.problems()).isEmpty();
        HttpRoute route = result.snapshot().grpcRoutes().get(ROUTE);
        assertThat(route.kind()).isEqualTo("GRPCRoute");
        assertThat(result.snapshot().httpRoutes()).as("a GRPCRoute is no HTTPRoute").isEmpty();
        assertThat(route.rules().get(0).matches()).extracting(m -> m.path().type() + " " + m.path().value()).containsExactly(
                "EXACT /reviews.Reviews/Get", "PATH_PREFIX /reviews.Reviews", "REGULAR_EXPRESSION /[^/]+/List",
                "REGULAR_EXPRESSION /(?:reviews\\..*)/(?:Get|List)");
        assertThat(route.rules().get(0).matches().get(3).headers()).extracting(HttpRoute.ValueMatch::name)
                .containsExactly("x-tenant");
        assertThat(route.rules().get(1).matches()).singleElement()
                .satisfies(m -> assertThat(m.grpc()).isEqualTo(HttpRoute.GrpcMethod.ANY));
        assertThat(result.snapshot().producerRoutesFor(ObjectRef.of("default", "reviews"), 9080)).containsExactly(route);
    }

    @Test
    void aRulesHeaderModifiersAndMirrorAreReadWithoutAWarning() {
        LoadResult result = load(route("""
                rules:
                - filters:
                  - type: RequestHeaderModifier
                    requestHeaderModifier: {set: [{name: x-env, value: mesh}]}
                  - type: ResponseHeaderModifier
                    responseHeaderModifier: {add: [{name: x-route, value: default}]}
                  - type: RequestMirror
                    requestMirror: {backendRef: {name: reviews-v2, port: 9080}}
                  backendRefs: [{name: reviews-v1, port: 9080}]
                """));

        assertThat(result.problems()).as("every field of the filters is read: no 'unknown field' warning").isEmpty();
        var filters = result.snapshot().grpcRoutes().get(ROUTE).rules().get(0).filters();
        assertThat(filters.requestHeaders().set()).extracting(h -> h.name() + "=" + h.value()).containsExactly("x-env=mesh");
        assertThat(filters.responseHeaders().add()).extracting(h -> h.name() + "=" + h.value()).containsExactly("x-route=default");
        assertThat(filters.mirrors()).hasSize(1);
    }

    @Test
    void whatTheSpecDoesNotAllowIsRefusedInOneLineNamingTheField() {
        assertThat(rejection("""
                rules:
                - matches: [{method: {service: "reviews/Reviews"}}]
                """)).isEqualTo("route.yaml doc 1 (line 7): GRPCRoute default/reviews: spec.rules[0].matches[0].method.service: "
                + "\"reviews/Reviews\" is not a gRPC service name (package.Service)");
        assertThat(rejection("""
                rules:
                - matches: [{method: {type: Exact}}]
                """)).endsWith("spec.rules[0].matches[0].method.service: service or method is required in an Exact method match");
        assertThat(rejection("""
                rules:
                - filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301}}]
                """)).endsWith("spec.rules[0].filters[0].type: filter \"RequestRedirect\" is not allowed on a GRPCRoute rule "
                + "(RequestHeaderModifier, ResponseHeaderModifier, RequestMirror)");
        assertThat(rejection("""
                rules:
                - matches: [{method: {type: RegularExpression, method: "(Get"}}]
                """)).contains("spec.rules[0].matches[0].method.method:");
    }

    @Test
    void aGatewayParentIsReadWithHostnamesAndAnHttpRouteOfTheSamePortOverridesTheGrpcRoute() {
        String onGateway = route("rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]")
                .replace("{group: \"\", kind: Service, name: reviews, port: 9080}", "{name: edge, sectionName: grpc}")
                .replace("spec:\n", "spec:\n  hostnames: [grpc.example.com]\n");
        LoadResult read = load(onGateway);
        assertThat(read.errors()).isEmpty();
        HttpRoute route = read.snapshot().grpcRoutes().get(ROUTE);
        assertThat(route.hostnames()).containsExactly("grpc.example.com");
        assertThat(route.parents()).singleElement().satisfies(p -> {
            assertThat(p.isGateway()).isTrue();
            assertThat(p.sectionName()).isEqualTo("grpc");
        });
        assertThat(read.snapshot().producerRoutesFor(ObjectRef.of("default", "reviews"), 9080))
                .as("a route on a Gateway is no mesh route of the Service").isEmpty();

        LoadResult both = load(route("rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]"),
                HttpRouteValidationTest.route("v1", "rules: [{backendRefs: [{name: reviews-v2, port: 9080}]}]"));
        assertThat(both.snapshot().producerRoutesFor(ObjectRef.of("default", "reviews"), 9080))
                .extracting(HttpRoute::kind).containsExactly("HTTPRoute");
        assertThat(both.problems()).extracting(ConfigProblem::toString).anySatisfy(line -> assertThat(line)
                .contains("GRPCRoute default/reviews: spec.parentRefs[0]: overridden on port 9080 of Service default/reviews "
                        + "by the HTTPRoutes there"));
    }
}
