package io.meshwork.controlplane;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.backends;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.source.kubernetes.MockApiServer;
import io.meshwork.controlplane.xds.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two control plane replicas on one cluster: both serve, only the Lease holder records Events, and the other takes over. */
class KubernetesLeaderElectionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void onlyTheLeaderRecordsEventsAndTheOtherReplicaTakesOverWhenItStops() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient client = api.client();
            client.services().resource(service("reviews", Map.of("app", "reviews"), 9080)).create();
            client.services().resource(service("reviews-v1", Map.of("app", "reviews", "version", "v1"), 9080)).create();
            client.services().resource(service("reviews-v2", Map.of("app", "reviews", "version", "v2"), 9080)).create();
            api.trafficSplits().resource(withBackend(split("reviews", 50, 50), "reviews-v3")).create();

            ControlPlane a = KubernetesMode.controlPlane(options(), api.newClient(), election("a")).start();
            Eventually.await(WAIT, "replica a leads", () -> "a".equals(holder(client)));
            ControlPlane b = KubernetesMode.controlPlane(options(), api.newClient(), election("b")).start();
            boolean aClosed = false;
            try {
                Eventually.await(WAIT, "an Event on the invalid split", () -> !events(client, "reviews-v3").isEmpty());
                Thread.sleep(1500); // b has rebuilt by now: had it recorded too, there would be two
                assertThat(events(client, "reviews-v3")).hasSize(1);
                assertThat(b.ready()).as("the follower serves xDS too").isTrue();

                a.close();
                aClosed = true;
                Eventually.await(WAIT, "replica b leads", () -> "b".equals(holder(client)));
                api.trafficSplits().resource(withBackend(split("reviews", 50, 50), "reviews-v4")).update();

                Eventually.await(WAIT, "the new leader's Event", () -> !events(client, "reviews-v4").isEmpty());
                assertThat(events(client, "reviews-v4")).hasSize(1);
            } finally {
                if (!aClosed) {
                    a.close();
                }
                b.close();
            }
        }
    }

    private static ControlPlane.Options options() {
        return new ControlPlane.Options("127.0.0.1", 0, 0);
    }

    private static KubernetesMode.LeaderElection election(String identity) {
        return new KubernetesMode.LeaderElection("meshwork-system", "meshwork-control-plane", identity,
                Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(200));
    }

    private static GenericKubernetesResource withBackend(GenericKubernetesResource split, String second) {
        backends(split).get(1).put("service", second);
        return split;
    }

    private static String holder(KubernetesClient client) {
        var lease = client.leases().inNamespace("meshwork-system").withName("meshwork-control-plane").get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static List<Event> events(KubernetesClient client, String missingBackend) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> e.getMessage().contains("\"" + missingBackend + "\"")).toList();
    }
}
