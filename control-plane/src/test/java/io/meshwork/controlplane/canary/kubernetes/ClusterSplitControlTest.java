package io.meshwork.controlplane.canary.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.backends;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshwork.controlplane.canary.SplitSnapshot;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.controlplane.source.kubernetes.MockApiServer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The default TrafficSplit of a service in a cluster (fabric8's mock API server, CRUD mode), read and written. */
class ClusterSplitControlTest {

    private MockApiServer api;
    private ClusterSplitControl control;

    @BeforeEach
    void cluster() {
        api = new MockApiServer();
        api.client().services().resource(service("reviews-v1", Map.of("app", "reviews"), 9080)).create();
        api.client().services().resource(service("reviews-v2", Map.of("app", "reviews"), 9080)).create();
        api.trafficSplits().resource(split("reviews", 100, 0)).create();
        control = new ClusterSplitControl(api.client(), "mock", "default", "reviews");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void aWriterInBetweenMakesTheUpdateStartAgainFromTheirVersionAndNothingIsLost() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        var update = control.update(now -> {
            if (calls.incrementAndGet() == 1) {
                // another writer (kubectl, a second CLI) changes the split after this update read it
                GenericKubernetesResource theirs = api.trafficSplits().inNamespace("default").withName("reviews").get();
                backends(theirs).get(0).put("weight", 70);
                api.trafficSplits().resource(theirs).update();
            }
            Map<String, Long> weights = new LinkedHashMap<>(now.weights());
            weights.put("reviews-v2", 30L);
            return new SplitSnapshot(weights, "note " + calls.get());
        });

        assertThat(calls).as("the change was decided again on the other writer's version").hasValue(2);
        assertThat(update.before().weights()).containsEntry("reviews-v1", 70L);
        SplitSnapshot now = control.read();
        assertThat(now.weights()).containsEntry("reviews-v1", 70L).containsEntry("reviews-v2", 30L);
        assertThat(now.status()).isEqualTo("note 2");
        assertThat(control.ref().title()).isEqualTo("TrafficSplit default/reviews");
        assertThat(control.ref().where()).isEqualTo("cluster mock");
    }

    @Test
    void aBackendThatIsNoServiceIsRefusedNamingTheFieldAndNothingIsWritten() throws Exception {
        assertThatThrownBy(() -> control.update(now -> new SplitSnapshot(Map.of("reviews-v1", 50L, "reviews-v3", 50L), null)))
                .hasMessage("TrafficSplit default/reviews: spec.backends[2].service: reviews-v3 is not a Service in namespace default");
        assertThatThrownBy(() -> control.requireValid(Map.of("reviews-v1", 0L, "reviews-v2", 0L)))
                .hasMessage("TrafficSplit default/reviews: spec.backends: every weight would be 0");
        assertThat(control.read().weights()).containsEntry("reviews-v1", 100L).containsEntry("reviews-v2", 0L);
    }

    @Test
    void noSplitTwoDefaultSplitsAndQuantityWeightsAreClearErrors() throws Exception {
        assertThatThrownBy(() -> new ClusterSplitControl(api.client(), "mock", "default", "ratings").read())
                .hasMessageStartingWith("no TrafficSplit, HTTPRoute or GRPCRoute for service \"ratings\" in namespace default of cluster mock");

        GenericKubernetesResource quantity = split("reviews-q", 1, 1);
        backends(quantity).get(0).put("weight", "500m");
        api.trafficSplits().resource(quantity).create();
        assertThatThrownBy(() -> control.read()).hasMessageContaining("are all default splits of reviews");

        api.trafficSplits().inNamespace("default").withName("reviews").delete();
        assertThatThrownBy(() -> control.read())
                .hasMessage("TrafficSplit default/reviews-q: spec.backends[0].weight: 500m is not an integer; "
                        + "mesh split and mesh canary write integer weights");
    }

    @Test
    void anHttpRouteOfTheServiceHoldsItsWeightsAndAnUpdateKeepsAnotherWritersChangeAndTheRulesOtherFields() throws Exception {
        api.client().services().resource(service("reviews-v3", Map.of("app", "reviews"), 9080)).create();
        routes().resource(Serialization.unmarshal("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews-route, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
                  rules:
                  - matches: [{headers: [{name: x-canary, value: "true"}]}]
                    backendRefs: [{name: reviews-v2, port: 9080}]
                  - matches: [{path: {type: PathPrefix, value: /}}]
                    backendRefs:
                    - {name: reviews-v1, port: 9080, weight: 100}
                    - {name: reviews-v2, port: 9080, weight: 0, filters: [{type: RequestHeaderModifier,
                        requestHeaderModifier: {set: [{name: x-canary-backend, value: "yes"}]}}]}
                """, GenericKubernetesResource.class)).create();
        AtomicInteger calls = new AtomicInteger();

        var update = control.update(now -> {
            if (calls.incrementAndGet() == 1) {
                GenericKubernetesResource theirs = routes().inNamespace("default").withName("reviews-route").get();
                theirs.getMetadata().setLabels(Map.of("team", "reviews"));
                routes().resource(theirs).update();
            }
            Map<String, Long> weights = new LinkedHashMap<>(now.weights());
            weights.put("reviews-v1", 80L);
            weights.put("reviews-v3", 20L);
            return new SplitSnapshot(weights, "promoting reviews-v3");
        });

        assertThat(calls).hasValue(2);
        assertThat(update.before().weights()).containsExactly(Map.entry("reviews-v1", 100L), Map.entry("reviews-v2", 0L));
        assertThat(control.ref().title()).isEqualTo("HTTPRoute default/reviews-route");
        assertThat(control.read().weights()).containsExactly(
                Map.entry("reviews-v1", 80L), Map.entry("reviews-v2", 0L), Map.entry("reviews-v3", 20L));
        GenericKubernetesResource route = routes().inNamespace("default").withName("reviews-route").get();
        assertThat(route.getMetadata().getLabels()).containsEntry("team", "reviews");
        assertThat(route.getMetadata().getAnnotations()).containsEntry("meshwork.io/canary-status", "promoting reviews-v3");
        String yaml = Serialization.asYaml(route.getAdditionalProperties().get("spec"));
        assertThat(yaml).contains("x-canary-backend").contains("name: \"reviews-v3\"\n    port: 9080\n    weight: 20");
        assertThat(api.trafficSplits().inNamespace("default").withName("reviews").get().getAdditionalProperties().get("spec"))
                .as("the split the route overrides is left alone").hasToString(split("reviews", 100, 0)
                        .getAdditionalProperties().get("spec").toString());

        assertThatThrownBy(() -> control.requireValid(Map.of("reviews-v4", 1L)))
                .hasMessage("HTTPRoute default/reviews-route: spec.rules[1].backendRefs[3].name: reviews-v4 is not a Service in "
                        + "namespace default");
    }

    @Test
    void aGrpcRouteOfTheServiceHoldsItsWeightsUnlessAnHttpRouteOverridesIt() throws Exception {
        var grpcRoutes = api.client().genericKubernetesResources(KubernetesSource.GRPC_ROUTE.context());
        grpcRoutes.resource(Serialization.unmarshal("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: reviews-grpc, namespace: default}
                spec:
                  parentRefs: [{kind: Service, name: reviews, port: 9080}]
                  rules:
                  - matches: [{method: {service: reviews.Reviews, method: Beta}}]
                    backendRefs: [{name: reviews-v2, port: 9080}]
                  - backendRefs:
                    - {name: reviews-v1, port: 9080, weight: 70}
                    - {name: reviews-v2, port: 9080, weight: 30}
                """, GenericKubernetesResource.class)).create();

        assertThat(control.ref().title()).isEqualTo("GRPCRoute default/reviews-grpc");
        control.update(now -> new SplitSnapshot(Map.of("reviews-v1", 40L, "reviews-v2", 60L), "promoting reviews-v2"));

        assertThat(control.read().weights()).containsExactly(Map.entry("reviews-v1", 40L), Map.entry("reviews-v2", 60L));
        GenericKubernetesResource route = grpcRoutes.inNamespace("default").withName("reviews-grpc").get();
        assertThat(route.getMetadata().getAnnotations()).containsEntry("meshwork.io/canary-status", "promoting reviews-v2");
        assertThat(Serialization.asYaml(route.getAdditionalProperties().get("spec"))).contains("service: \"reviews.Reviews\"");
        assertThat(api.trafficSplits().inNamespace("default").withName("reviews").get().getAdditionalProperties().get("spec"))
                .as("the split the route overrides is left alone").hasToString(split("reviews", 100, 0)
                        .getAdditionalProperties().get("spec").toString());

        routes().resource(Serialization.unmarshal("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews-route, namespace: default}
                spec:
                  parentRefs: [{kind: Service, name: reviews}]
                  rules:
                  - backendRefs: [{name: reviews-v1, port: 9080}]
                """, GenericKubernetesResource.class)).create();
        assertThat(control.ref().title()).as("an HTTPRoute overrides the GRPCRoute, as translation does")
                .isEqualTo("HTTPRoute default/reviews-route");
    }

    private io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> routes() {
        return api.client().genericKubernetesResources(KubernetesSource.HTTP_ROUTE.context());
    }
}
