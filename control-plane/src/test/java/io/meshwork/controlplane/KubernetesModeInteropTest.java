package io.meshwork.controlplane;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.backends;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.pod;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.slice;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.controlplane.source.kubernetes.MockApiServer;
import io.meshwork.controlplane.xds.Eventually;
import io.meshwork.controlplane.xds.NamedBackend;
import io.meshwork.controlplane.xds.XdsBootstrap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes mode end to end: fabric8's mock API server in CRUD mode as the cluster, the real
 * Kubernetes source, translator and ADS server ({@link KubernetesMode}), and grpc-java's own xDS
 * client calling {@code xds:///reviews.default.svc.cluster.local:9080}, whose calls reach two real
 * backends standing for the pods. Changes are made the way a user or Kubernetes makes them: through
 * the API server.
 */
class KubernetesModeInteropTest {

    private static final int PORT = 9080;
    private static final String TARGET = "xds:///reviews.default.svc.cluster.local:" + PORT;
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static MockApiServer api;
    private static KubernetesClient client;
    private static NamedBackend v1;
    private static NamedBackend v2;
    private static ControlPlane controlPlane;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        api = new MockApiServer();
        client = api.client();
        v1 = new NamedBackend("reviews-v1");
        v2 = new NamedBackend("reviews-v2");
        client.services().resource(service("reviews", Map.of("app", "reviews"), PORT)).create();
        client.services().resource(service("reviews-v1", Map.of("app", "reviews", "version", "v1"), PORT)).create();
        client.services().resource(service("reviews-v2", Map.of("app", "reviews", "version", "v2"), PORT)).create();
        // Plain (unmeshed) pods: the gRPC backends themselves, on loopback.
        client.pods().resource(pod("reviews-v1-0", Map.of("app", "reviews", "version", "v1"), "127.0.0.1", false)).create();
        client.pods().resource(pod("reviews-v2-0", Map.of("app", "reviews", "version", "v2"), "127.0.0.1", false)).create();
        client.discovery().v1().endpointSlices().resource(slice("reviews-v1-a", "reviews-v1", "reviews-v1-0", "127.0.0.1",
                v1.port(), true, false)).create();
        client.discovery().v1().endpointSlices().resource(slice("reviews-v2-a", "reviews-v2", "reviews-v2-0", "127.0.0.1",
                v2.port(), true, false)).create();
        rootSlices(false);
        api.trafficSplits().resource(split("reviews", 100, 0)).create();

        controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), client).start();
        XdsBootstrap.proxylessClient(controlPlane.xdsPort(), "proxyless~reviews-client", "default");
        channel = Grpc.newChannelBuilder(TARGET, InsecureChannelCredentials.create()).build();
        // The first call resolves through xDS (LDS, RDS, CDS, EDS), which takes a few seconds.
        NamedBackend.call(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controlPlane.close();
        api.close();
        v1.close();
        v2.close();
    }

    @BeforeEach
    void everyCallToV1() throws Exception {
        api.trafficSplits().resource(split("reviews", 100, 0)).createOr(r -> r.update());
        rootSlices(false);
        assertThat(NamedBackend.awaitStreak(channel, "reviews-v1", 50, WAIT)).as("50 calls in a row to v1").isPresent();
    }

    @Test
    void trafficSplitUpdatedInTheClusterMovesEveryCallToV2WithinASecond() {
        long written = System.nanoTime();
        api.trafficSplits().resource(split("reviews", 0, 100)).update();

        assertEveryCallGoesTo("reviews-v2", written, "TrafficSplit 100/0 -> 0/100");
    }

    @Test
    void trafficSplitDeletedServesTheRootServiceUnsplit() throws Exception {
        api.trafficSplits().inNamespace("default").withName("reviews").delete();

        Eventually.await(WAIT, "calls reach both versions", () -> {
            int toV1 = NamedBackend.callsTo(channel, "reviews-v1", 200);
            return toV1 > 50 && toV1 < 150;
        });
    }

    @Test
    void invalidTrafficSplitGetsAnEventAndThePreviousRoutingStays() throws Exception {
        GenericKubernetesResource broken = split("reviews", 0, 100);
        backends(broken).get(1).put("service", "reviews-v3");
        api.trafficSplits().resource(broken).update();

        Eventually.await(WAIT, "an InvalidConfig Event on TrafficSplit reviews", () -> !invalidConfigEvents().isEmpty());
        assertThat(invalidConfigEvents()).first().extracting(Event::getMessage).asString()
                .startsWith("TrafficSplit default/reviews: spec.backends[1].service: \"reviews-v3\" is not a Service");
        assertThat(NamedBackend.callsTo(channel, "reviews-v1", 200)).isEqualTo(200);
    }

    @Test
    void terminatingEndpointGetsNoNewCalls() {
        api.trafficSplits().inNamespace("default").withName("reviews").delete();

        long written = System.nanoTime();
        rootSlices(true);

        assertEveryCallGoesTo("reviews-v2", written, "EndpointSlice: v1 endpoint terminating");
    }

    private static void assertEveryCallGoesTo(String backend, long written, String change) {
        OptionalLong streak = NamedBackend.awaitStreak(channel, backend, 50, Duration.ofSeconds(2));

        assertThat(streak).as("50 calls in a row to %s within 2 s of the change", backend).isPresent();
        long ms = TimeUnit.NANOSECONDS.toMillis(streak.getAsLong() - written);
        System.out.printf("%s: every call to %s from %d ms after the change%n", change, backend, ms);
        assertThat(ms).as("ms until every call reached %s", backend).isLessThan(1000);
        assertThat(NamedBackend.callsTo(channel, backend, 200)).isEqualTo(200);
    }

    private static List<Event> invalidConfigEvents() {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals("reviews") && e.getReason().equals("InvalidConfig")).toList();
    }

    /** The root service's slices, one per pod (their ports differ); v1's endpoint terminating or not. */
    private static void rootSlices(boolean v1Terminating) {
        client.discovery().v1().endpointSlices().resource(slice("reviews-a", "reviews", "reviews-v1-0", "127.0.0.1",
                v1.port(), !v1Terminating, v1Terminating)).createOr(r -> r.update());
        client.discovery().v1().endpointSlices().resource(slice("reviews-b", "reviews", "reviews-v2-0", "127.0.0.1",
                v2.port(), true, false)).createOr(r -> r.update());
    }



}
