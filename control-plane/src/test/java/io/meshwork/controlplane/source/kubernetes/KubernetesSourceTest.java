package io.meshwork.controlplane.source.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.backends;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.pod;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.slice;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.xds.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes source against fabric8's mock API server in CRUD mode: what is created there is what the snapshot says. */
class KubernetesSourceTest {

    private static final ObjectRef REVIEWS = ObjectRef.of("default", "reviews");
    private static final Duration WAIT = Duration.ofSeconds(5);

    private MockApiServer api;
    private KubernetesClient client;
    private KubernetesSource source;
    private final AtomicReference<MeshSnapshot> latest = new AtomicReference<>();
    private final AtomicInteger configErrors = new AtomicInteger();

    @BeforeEach
    void start() {
        api = new MockApiServer();
        client = api.client();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-a")
                .addToLabels(SliceEndpoints.REGION_LABEL, "eu-west").addToLabels(SliceEndpoints.ZONE_LABEL, "eu-west-1a")
                .endMetadata().build()).create();
        for (String version : List.of("", "v1", "v2")) {
            String name = version.isEmpty() ? "reviews" : "reviews-" + version;
            client.services().resource(service(name, version.isEmpty() ? Map.of("app", "reviews")
                    : Map.of("app", "reviews", "version", version), 9080)).create();
        }
        client.pods().resource(pod("reviews-v1-0", Map.of("app", "reviews", "version", "v1"), "10.0.0.1", true)).create();
        client.discovery().v1().endpointSlices().resource(slice("reviews-v1-abc", "reviews-v1", "reviews-v1-0", "10.0.0.1",
                9080, true, false)).create();
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        api.close();
    }

    private void startSource() throws Exception {
        source = new KubernetesSource(client);
        source.start(latest::set, configErrors::incrementAndGet);
    }

    private MeshSnapshot awaitSnapshot(String what, Predicate<MeshSnapshot> condition) throws InterruptedException {
        Eventually.await(WAIT, what, () -> latest.get() != null && condition.test(latest.get()));
        return latest.get();
    }

    @Test
    void podsListedByEndpointSlicesAreTheServicesEndpointsWithTheirNodesLocality() throws Exception {
        startSource();

        MeshSnapshot snapshot = latest.get();

        assertThat(snapshot.services()).containsKeys(REVIEWS, ObjectRef.of("default", "reviews-v1"));
        assertThat(snapshot.endpointsOf(ObjectRef.of("default", "reviews-v1"))).singleElement().satisfies(e -> {
            assertThat(e.address()).isEqualTo("10.0.0.1");
            assertThat(e.port()).isEqualTo(9080);
            assertThat(e.ready()).isTrue();
            assertThat(e.meshed()).isTrue();
            assertThat(e.workload().ref()).isEqualTo(ObjectRef.of("default", "reviews-v1-0"));
            assertThat(e.workload().serviceAccount()).isEqualTo("reviews");
            assertThat(e.workload().version()).isEqualTo("v1");
            assertThat(e.workload().locality()).isEqualTo(new Locality("eu-west", "eu-west-1a"));
            assertThat(e.workload().appPorts()).containsEntry("grpc", 9080);
        });
    }

    @Test
    void aWorkloadObjectIsAnEndpointOfTheServicesThatSelectItAsInAFolder() throws Exception {
        startSource();

        client.genericKubernetesResources(KubernetesSource.WORKLOAD.context()).resource(
                new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                        .withApiVersion("meshwork.io/v1alpha1").withKind("Workload")
                        .withNewMetadata().withName("reviews-vm-1").withNamespace("default")
                        .addToLabels("app", "reviews").addToLabels("version", "v1").endMetadata()
                        .addToAdditionalProperties("spec", Map.of("address", "10.9.0.1", "ports", Map.of("grpc", 9080),
                                "serviceAccount", "reviews"))
                        .build()).create();

        MeshSnapshot snapshot = awaitSnapshot("the VM among reviews-v1's endpoints",
                s -> s.endpointsOf(ObjectRef.of("default", "reviews-v1")).size() == 2);
        assertThat(snapshot.endpointsOf(ObjectRef.of("default", "reviews-v1"))).extracting(ServiceEndpoint::address)
                .containsExactlyInAnyOrder("10.0.0.1", "10.9.0.1");
        assertThat(configErrors).hasValue(0);
    }

    @Test
    void aMeshCircuitBreakerObjectIsReadAsInAFolder() throws Exception {
        startSource();

        client.genericKubernetesResources(KubernetesSource.MESH_CIRCUIT_BREAKER.context()).resource(
                new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                        .withApiVersion("meshwork.io/v1alpha1").withKind("MeshCircuitBreaker")
                        .withNewMetadata().withName("reviews").withNamespace("default").endMetadata()
                        .addToAdditionalProperties("spec", Map.of("targetRef", Map.of("kind", "Service", "name", "reviews"),
                                "maxRequests", 50, "outlierDetection", Map.of("consecutive5xx", 3)))
                        .build()).create();

        MeshSnapshot snapshot = awaitSnapshot("the MeshCircuitBreaker in the snapshot",
                s -> s.policies().circuitBreakerFor(REVIEWS, 9080).isPresent());
        assertThat(snapshot.policies().circuitBreakerFor(REVIEWS, 9080).orElseThrow()).satisfies(breaker -> {
            assertThat(breaker.maxRequests()).isEqualTo(50);
            assertThat(breaker.outlierDetection().consecutive5xx()).isEqualTo(3);
        });
        assertThat(configErrors).hasValue(0);
    }

    @Test
    void faultInjectionRateLimitAndMirrorObjectsAreReadAsInAFolder() throws Exception {
        startSource();
        Map<String, Object> target = Map.of("kind", "Service", "name", "reviews");
        create(KubernetesSource.MESH_FAULT_INJECTION, "MeshFaultInjection", Map.of("targetRef", target,
                "match", Map.of("headers", Map.of("x-fault", "on")), "abort", Map.of("httpStatus", 503, "percentage", 50)));
        create(KubernetesSource.MESH_RATE_LIMIT, "MeshRateLimit", Map.of("targetRef", target,
                "requestsPerSecond", 100, "burst", 20));
        create(KubernetesSource.MESH_MIRROR, "MeshMirror", Map.of("targetRef", target,
                "backend", Map.of("name", "reviews-v2"), "percentage", 10));

        MeshSnapshot snapshot = awaitSnapshot("the three policies in the snapshot",
                s -> s.policies().faultFor(REVIEWS, 9080).isPresent() && s.policies().rateLimitFor(REVIEWS, 9080).isPresent()
                        && s.policies().mirrorFor(REVIEWS, 9080).isPresent());
        assertThat(snapshot.policies().faultFor(REVIEWS, 9080).orElseThrow().abort().httpStatus()).isEqualTo(503);
        assertThat(snapshot.policies().rateLimitFor(REVIEWS, 9080).orElseThrow().burst()).isEqualTo(20);
        assertThat(snapshot.policies().mirrorFor(REVIEWS, 9080).orElseThrow().backend().name()).isEqualTo("reviews-v2");
        assertThat(configErrors).hasValue(0);
    }

    private void create(KubernetesSource.CustomKind kind, String kindName, Map<String, Object> spec) {
        client.genericKubernetesResources(kind.context()).resource(
                new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                        .withApiVersion("meshwork.io/v1alpha1").withKind(kindName)
                        .withNewMetadata().withName("reviews").withNamespace("default").endMetadata()
                        .addToAdditionalProperties("spec", spec).build()).create();
    }

    @Test
    void createdUpdatedAndDeletedObjectsShowUpWithinOneSecond() throws Exception {
        startSource();

        long created = System.nanoTime();
        api.trafficSplits().resource(split("reviews", 90, 10)).create();
        awaitSnapshot("split 90/10", s -> weights(s).equals(List.of(90L, 10L)));
        long createdMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created);

        long updated = System.nanoTime();
        api.trafficSplits().resource(split("reviews", 0, 100)).update();
        awaitSnapshot("split 0/100", s -> weights(s).equals(List.of(0L, 100L)));
        long updatedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - updated);

        long deleted = System.nanoTime();
        api.trafficSplits().inNamespace("default").withName("reviews").delete();
        awaitSnapshot("split gone", s -> s.splits().isEmpty());
        long deletedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deleted);

        System.out.printf("TrafficSplit in the snapshot: created %d ms, updated %d ms, deleted %d ms%n", createdMs, updatedMs,
                deletedMs);
        assertThat(List.of(createdMs, updatedMs, deletedMs)).allSatisfy(ms -> assertThat(ms).isLessThan(1000));
    }

    @Test
    void anHttpRouteOfTheGatewayApiIsReadWithItsCreationTimestamp() throws Exception {
        startSource();

        client.genericKubernetesResources(KubernetesSource.HTTP_ROUTE.context()).resource(
                new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                        .withApiVersion("gateway.networking.k8s.io/v1").withKind("HTTPRoute")
                        .withNewMetadata().withName("reviews").withNamespace("default").endMetadata()
                        .addToAdditionalProperties("spec", Map.of(
                                "parentRefs", List.of(Map.of("group", "", "kind", "Service", "name", "reviews", "port", 9080)),
                                "rules", List.of(Map.of("backendRefs", List.of(
                                        Map.of("name", "reviews-v1", "port", 9080, "weight", 90),
                                        Map.of("name", "reviews-v2", "port", 9080, "weight", 10))))))
                        .build()).create();

        MeshSnapshot snapshot = awaitSnapshot("the HTTPRoute", s -> s.httpRoutes().containsKey(REVIEWS));
        io.meshwork.controlplane.model.HttpRoute route = snapshot.httpRoutes().get(REVIEWS);
        assertThat(route.created()).as("metadata.creationTimestamp, for precedence").isNotNull();
        assertThat(route.rules()).singleElement().satisfies(rule -> assertThat(rule.backends())
                .extracting(b -> b.service().name() + "=" + b.weight()).containsExactly("reviews-v1=90", "reviews-v2=10"));
        assertThat(snapshot.producerRoutesFor(REVIEWS, 9080)).containsExactly(route);
        assertThat(configErrors).hasValue(0);
    }

    @Test
    void aGatewayAndItsClassAreRead() throws Exception {
        startSource();
        client.genericKubernetesResources(KubernetesSource.GATEWAY_CLASS.context()).resource(gatewayApi("GatewayClass",
                "v1", "meshwork", null, Map.of("controllerName", "meshwork.io/gateway-controller"))).create();
        client.genericKubernetesResources(KubernetesSource.GATEWAY.context()).resource(gatewayApi("Gateway", "v1", "web",
                "default", Map.of("gatewayClassName", "meshwork", "listeners", List.of(Map.of("name", "http",
                        "port", 80, "protocol", "HTTP", "hostname", "*.example.com"))))).create();

        MeshSnapshot snapshot = awaitSnapshot("the Gateway served", s -> s.gateways().served(ObjectRef.of("default",
                "web")).isPresent());
        assertThat(snapshot.gateways().served(ObjectRef.of("default", "web")).orElseThrow().listeners())
                .singleElement().satisfies(l -> assertThat(l.hostname()).isEqualTo("*.example.com"));
        assertThat(configErrors).hasValue(0);
        // Its status is written after the snapshot is handed on: the test ends once it is (GatewayStatusesTest).
        Eventually.await(WAIT, "the Gateway's status", () -> client.genericKubernetesResources(
                KubernetesSource.GATEWAY.context()).inNamespace("default").withName("web").get()
                .getAdditionalProperties().get("status") != null);
    }

    private static GenericKubernetesResource gatewayApi(String kind, String version, String name, String namespace,
                                                        Map<String, Object> spec) {
        return new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                .withApiVersion("gateway.networking.k8s.io/" + version).withKind(kind)
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .addToAdditionalProperties("spec", spec).build();
    }

    @Test
    void terminatingEndpointTakesNoNewRequestsAndGoneEndpointIsRemoved() throws Exception {
        startSource();

        client.discovery().v1().endpointSlices().resource(slice("reviews-v1-abc", "reviews-v1", "reviews-v1-0", "10.0.0.1",
                9080, false, true)).update();
        awaitSnapshot("v1 endpoint not ready", s -> s.endpointsOf(ObjectRef.of("default", "reviews-v1")).stream()
                .noneMatch(ServiceEndpoint::ready) && !s.endpointsOf(ObjectRef.of("default", "reviews-v1")).isEmpty());

        client.discovery().v1().endpointSlices().inNamespace("default").withName("reviews-v1-abc").delete();
        awaitSnapshot("v1 endpoint gone", s -> s.endpointsOf(ObjectRef.of("default", "reviews-v1")).isEmpty());
    }

    @Test
    void invalidTrafficSplitGetsAnInvalidConfigEventAndItsLastGoodVersionStays() throws Exception {
        startSource();
        api.trafficSplits().resource(split("reviews", 90, 10)).create();
        awaitSnapshot("split 90/10", s -> weights(s).equals(List.of(90L, 10L)));

        GenericKubernetesResource broken = split("reviews", 50, 50);
        backends(broken).get(1).put("service", "reviews-v3");
        api.trafficSplits().resource(broken).update();

        List<Event> events = awaitEvents("reviews");
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.getReason()).isEqualTo("InvalidConfig");
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("TrafficSplit");
            assertThat(e.getMessage()).startsWith("TrafficSplit default/reviews: spec.backends[1].service: "
                    + "\"reviews-v3\" is not a Service in namespace default; still serving its last accepted version");
        });
        assertThat(weights(latest.get())).containsExactly(90L, 10L);
        assertThat(configErrors.get()).isEqualTo(1);
    }

    @Test
    void anObjectFailsWithTheMessageLocalModeGivesTheSameYaml() throws Exception {
        startSource();
        GenericKubernetesResource allZero = split("reviews", 0, 0);
        String yaml = client.getKubernetesSerialization().asYaml(allZero);

        api.trafficSplits().resource(allZero).create();

        List<Event> events = awaitEvents("reviews");
        ConfigProblem local = new LocalConfigLoader().load(Map.of("split.yaml", yaml)).errors().get(0);
        assertThat(events).singleElement().extracting(Event::getMessage).isEqualTo(local.withoutLocation());
        assertThat(local.withoutLocation()).isEqualTo("TrafficSplit default/reviews: spec.backends: every weight is 0: "
                + "at least one backend needs a weight above 0");
        assertThat(latest.get().splits()).isEmpty();
    }

    @Test
    void twoDefaultSplitsForOneRootBothGetAnEventAndNeitherIsServed() throws Exception {
        startSource();
        api.trafficSplits().resource(split("reviews", 90, 10)).create();
        api.trafficSplits().resource(split("reviews-b", 10, 90)).create();

        assertThat(awaitEvents("reviews")).singleElement().extracting(Event::getMessage).asString()
                .contains("conflicts with TrafficSplit default/reviews-b");
        assertThat(awaitEvents("reviews-b")).singleElement().extracting(Event::getMessage).asString()
                .contains("conflicts with TrafficSplit default/reviews");
        assertThat(latest.get().splits()).isEmpty();
    }

    @Test
    void watchAnsweredWith410GoneRecoversByListingAgainWithoutLosingAnUpdate() throws Exception {
        // Every EndpointSlice watch for a while gets 410 Gone: only listing again can show what changes meanwhile.
        api.answerWatchesWithGone("/apis/discovery.k8s.io/v1/endpointslices", 3);
        startSource();

        client.pods().resource(pod("reviews-v2-0", Map.of("app", "reviews", "version", "v2"), "10.0.0.2", true)).create();
        client.discovery().v1().endpointSlices().resource(slice("reviews-v2-abc", "reviews-v2", "reviews-v2-0", "10.0.0.2",
                9080, true, false)).create();

        awaitSnapshot("reviews-v2 endpoint", s -> !s.endpointsOf(ObjectRef.of("default", "reviews-v2")).isEmpty());
        assertThat(api.goneAnswered()).isEqualTo(3);
        // Afterwards the watch works again: a change arrives without another 410.
        client.discovery().v1().endpointSlices().inNamespace("default").withName("reviews-v2-abc").delete();
        awaitSnapshot("reviews-v2 endpoint gone", s -> s.endpointsOf(ObjectRef.of("default", "reviews-v2")).isEmpty());
        assertThat(api.goneAnswered()).isEqualTo(3);
    }

    private List<Event> awaitEvents(String splitName) throws InterruptedException {
        Eventually.await(WAIT, "an Event on TrafficSplit " + splitName, () -> !events(splitName).isEmpty());
        return events(splitName);
    }

    private List<Event> events(String splitName) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals(splitName)).toList();
    }


    private static List<Long> weights(MeshSnapshot snapshot) {
        TrafficSplit split = snapshot.splits().get(REVIEWS);
        return split == null ? List.of() : split.backends().stream().map(TrafficSplit.Backend::weight).toList();
    }


}
