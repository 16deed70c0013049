package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.TrafficTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SMI TrafficTargets (access.smi-spec.io v1alpha2 and v1alpha3) in local mode. */
class TrafficTargetValidationTest {

    private static LoadResult load(String yaml) {
        return new LocalConfigLoader().load(Map.of("target.yaml", yaml));
    }

    @Test
    void readsDestinationSourcesAndRules() {
        LoadResult result = load("""
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata:
                  name: reviews
                  namespace: shop
                spec:
                  destination:
                    kind: ServiceAccount
                    name: reviews
                    namespace: shop
                    port: 9080
                  sources:
                  - kind: ServiceAccount
                    name: productpage
                  - kind: ServiceAccount
                    name: gateway
                    namespace: edge
                  rules:
                  - kind: HTTPRouteGroup
                    name: reviews-api
                    matches: [read]
                """);

        assertThat(result.errors()).isEmpty(); // warnings: no workload, no route group here
        assertThat(result.snapshot().trafficTargets()).containsExactly(Map.entry(ObjectRef.of("shop", "reviews"),
                new TrafficTarget(ObjectRef.of("shop", "reviews"), "reviews", 9080,
                        List.of(ObjectRef.of("shop", "productpage"), ObjectRef.of("edge", "gateway")),
                        List.of(new TrafficSplit.RouteGroupMatch("HTTPRouteGroup", "reviews-api", List.of("read"))))));
    }

    @Test
    void aDestinationInAnotherNamespaceIsRefusedNamingTheField() {
        LoadResult result = load("""
                apiVersion: access.smi-spec.io/v1alpha2
                kind: TrafficTarget
                metadata:
                  name: reviews
                spec:
                  destination:
                    kind: ServiceAccount
                    name: reviews
                    namespace: shop
                  sources:
                  - kind: ServiceAccount
                    name: productpage
                """);

        assertThat(result.errors()).singleElement().asString()
                .contains("TrafficTarget default/reviews: spec.destination.namespace: \"shop\" is not the "
                        + "TrafficTarget's namespace \"default\"");
        assertThat(result.snapshot().trafficTargets()).isEmpty();
    }

    @Test
    void aTargetWithoutSourcesOrWithAnUnknownRuleKindIsRefused() {
        assertThat(load("""
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata:
                  name: reviews
                spec:
                  destination: {kind: ServiceAccount, name: reviews}
                """).errors()).singleElement().asString().contains("spec.sources: at least one source");
        assertThat(load("""
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata:
                  name: reviews
                spec:
                  destination: {kind: ServiceAccount, name: reviews}
                  sources: [{kind: ServiceAccount, name: productpage}]
                  rules: [{kind: HTTPRoute, name: api}]
                """).errors()).singleElement().asString()
                .contains("spec.rules[0].kind: \"HTTPRoute\" is not a route kind (HTTPRouteGroup, TCPRoute, UDPRoute)");
    }

    @Test
    void aTargetThatSelectsNoWorkloadOrNamesAMissingRouteGroupDrawsAWarning() {
        LoadResult result = load("""
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata:
                  name: reviews
                spec:
                  destination: {kind: ServiceAccount, name: reviews}
                  sources: [{kind: ServiceAccount, name: productpage}]
                  rules: [{kind: HTTPRouteGroup, name: reviews-api}]
                """);

        assertThat(result.errors()).isEmpty();
        assertThat(result.problems()).extracting(Object::toString).anySatisfy(p -> assertThat(p)
                .contains("spec.destination.name: selects no workload: none in namespace default runs as service "
                        + "account \"reviews\""))
                .anySatisfy(p -> assertThat(p).contains("spec.rules[0].name: \"reviews-api\" is not an HTTPRouteGroup "
                        + "in namespace default: this rule allows nothing"));
        assertThat(result.snapshot().trafficTargets()).hasSize(1);
    }
}
