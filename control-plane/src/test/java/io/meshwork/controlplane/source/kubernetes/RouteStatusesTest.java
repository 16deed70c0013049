package io.meshwork.controlplane.source.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.xds.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Gateway API status the control plane writes on HTTPRoutes attached to Services, against fabric8's mock API
 * server in CRUD mode: the conditions and reasons the spec gives for each case, other controllers' entries kept, and
 * nothing written again while nothing changes.
 */
class RouteStatusesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private MockApiServer api;
    private KubernetesClient client;
    private KubernetesSource source;
    private final AtomicReference<MeshSnapshot> latest = new AtomicReference<>();

    @BeforeEach
    void start() {
        api = new MockApiServer();
        client = api.client();
        client.services().resource(service("reviews", Map.of("app", "reviews"), 9080)).create();
        client.services().resource(service("reviews-v1", Map.of("app", "reviews", "version", "v1"), 9080)).create();
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                .withName("other").endMetadata().build()).create();
        io.fabric8.kubernetes.api.model.Service ratings = service("ratings", Map.of("app", "ratings"), 9080);
        ratings.getMetadata().setNamespace("other");
        client.services().inNamespace("other").resource(ratings).create();
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        api.close();
    }

    @Test
    void eachRouteGetsTheConditionsAndReasonsTheSpecGivesAndOtherControllersEntriesStay() throws Exception {
        create("valid", "{name: reviews-v1, port: 9080}", "");
        create("missing-backend", "{name: reviews-v9, port: 9080}", "");
        create("cross-namespace", "{name: ratings, namespace: other, port: 9080}", "");
        create("bad-regex", "{name: reviews-v1, port: 9080}", "matches: [{path: {type: RegularExpression, value: \"(\"}}]");
        GenericKubernetesResource noParent = route("no-parent", "{name: reviews-v1, port: 9080}", "");
        parentName(noParent, "nope");
        routes().resource(noParent).create();
        GenericKubernetesResource valid = routes().withName("valid").get();
        valid.getAdditionalProperties().put("status", Map.of("parents", List.of(Map.of(
                "parentRef", Map.of("name", "edge", "kind", "Gateway"), "controllerName", "example.net/gateway",
                "conditions", List.of(Map.of("type", "Accepted", "status", "True", "reason", "Accepted",
                        "lastTransitionTime", "2026-01-01T00:00:00Z"))))));
        routes().resource(valid).updateStatus();

        source = new KubernetesSource(client);
        source.start(latest::set, () -> { });

        assertThat(conditions("valid")).containsExactly("Accepted=True Accepted", "ResolvedRefs=True ResolvedRefs");
        assertThat(conditions("missing-backend")).containsExactly("Accepted=True Accepted", "ResolvedRefs=False BackendNotFound");
        assertThat(message("missing-backend", "ResolvedRefs"))
                .isEqualTo("spec.rules[0]: \"reviews-v9\" is not a Service in namespace default");
        assertThat(conditions("cross-namespace")).containsExactly("Accepted=True Accepted", "ResolvedRefs=False RefNotPermitted");
        assertThat(conditions("bad-regex")).containsExactly("Accepted=False UnsupportedValue");
        assertThat(message("bad-regex", "Accepted")).startsWith("HTTPRoute default/bad-regex: spec.rules[0].matches[0].path.value:");
        assertThat(conditions("no-parent")).containsExactly("Accepted=False NoMatchingParent", "ResolvedRefs=True ResolvedRefs");
        assertThat(message("no-parent", "Accepted")).isEqualTo("Service default/nope does not exist");
        assertThat(parents("valid")).extracting(p -> p.get("controllerName"))
                .containsExactly("example.net/gateway", RouteStatuses.CONTROLLER);
        assertThat(parents("valid").get(1).get("parentRef")).isEqualTo(Map.of("group", "", "kind", "Service", "name", "reviews"));
    }

    @Test
    void aFixedRouteTurnsAcceptedAndASteadyMeshWritesNoStatusAgain() throws Exception {
        create("bad-regex", "{name: reviews-v1, port: 9080}", "matches: [{path: {type: RegularExpression, value: \"(\"}}]");
        source = new KubernetesSource(client);
        source.start(latest::set, () -> { });
        assertThat(conditions("bad-regex")).containsExactly("Accepted=False UnsupportedValue");
        String refusedSince = condition("bad-regex", "Accepted").get("lastTransitionTime").toString();

        GenericKubernetesResource fixed = routes().withName("bad-regex").get();
        GenericKubernetesResource good = route("bad-regex", "{name: reviews-v1, port: 9080}", "matches: [{path: {type: "
                + "RegularExpression, value: \"/api/.*\"}}]");
        fixed.getAdditionalProperties().put("spec", good.getAdditionalProperties().get("spec"));
        fixed.getMetadata().setGeneration(2L);
        routes().resource(fixed).update();

        Eventually.await(WAIT, "the fixed route accepted", () -> conditionsNow("bad-regex")
                .equals(List.of("Accepted=True Accepted", "ResolvedRefs=True ResolvedRefs")));
        assertThat(condition("bad-regex", "Accepted").get("lastTransitionTime")).isNotEqualTo(refusedSince);
        assertThat(((Number) condition("bad-regex", "Accepted").get("observedGeneration")).longValue()).isEqualTo(2);

        long writes = statusWrites();
        client.services().resource(service("details", Map.of("app", "details"), 9080)).create(); // a rebuild, same routes
        // a rebuild writes the statuses it changes before it hands its snapshot on
        Eventually.await(WAIT, "the rebuild with details", () -> latest.get() != null
                && latest.get().services().containsKey(io.meshwork.controlplane.model.ObjectRef.of("default", "details")));
        assertThat(statusWrites()).as("no status written when none changed").isEqualTo(writes);
        assertThat(writes).as("one write per route and change: the refusal, then the acceptance").isEqualTo(2);
    }

    private long statusWrites() {
        return api.requests().stream().filter(r -> !r.method().equals("GET") && r.path().contains("/httproutes/")
                && r.path().contains("/status")).count();
    }

    private void create(String name, String backend, String rulePrefix) {
        routes().resource(route(name, backend, rulePrefix)).create();
    }

    private static GenericKubernetesResource route(String name, String backend, String rulePrefix) {
        return Serialization.unmarshal("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: %s, namespace: default, generation: 1}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews}]
                  rules:
                  - %s
                    backendRefs: [%s]
                """.formatted(name, rulePrefix.isEmpty() ? "name: all" : rulePrefix, backend), GenericKubernetesResource.class);
    }

    @SuppressWarnings("unchecked")
    private static void parentName(GenericKubernetesResource route, String name) {
        Map<String, Object> spec = (Map<String, Object>) route.getAdditionalProperties().get("spec");
        ((Map<String, Object>) ((List<Object>) spec.get("parentRefs")).get(0)).put("name", name);
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> routes() {
        return client.genericKubernetesResources(KubernetesSource.HTTP_ROUTE.context()).inNamespace("default");
    }

    /** Our entry's conditions as {@code type=status reason}, once it has some. */
    private List<String> conditions(String route) throws InterruptedException {
        Eventually.await(WAIT, "the status of HTTPRoute " + route, () -> !conditionsNow(route).isEmpty());
        return conditionsNow(route);
    }

    @SuppressWarnings("unchecked")
    private List<String> conditionsNow(String route) {
        return parents(route).stream().filter(p -> RouteStatuses.CONTROLLER.equals(p.get("controllerName")))
                .flatMap(p -> ((List<Map<String, Object>>) p.get("conditions")).stream())
                .map(c -> c.get("type") + "=" + c.get("status") + " " + c.get("reason")).toList();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> condition(String route, String type) {
        return parents(route).stream().filter(p -> RouteStatuses.CONTROLLER.equals(p.get("controllerName")))
                .flatMap(p -> ((List<Map<String, Object>>) p.get("conditions")).stream())
                .filter(c -> type.equals(c.get("type"))).findFirst().orElseThrow();
    }

    private String message(String route, String type) {
        return condition(route, type).get("message").toString();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> parents(String route) {
        Object status = routes().withName(route).get().getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> s && s.get("parents") instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }
}
