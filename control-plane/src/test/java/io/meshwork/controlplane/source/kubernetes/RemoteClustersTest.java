package io.meshwork.controlplane.source.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.pod;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.slice;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.xds.Eventually;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several clusters as one mesh, each a fabric8 mock API server in CRUD mode: cluster {@code west} is
 * this control plane's own (config and its endpoints), {@code east} and {@code north} are remote
 * (their Services and endpoints join). The canary {@code reviews-v2} runs only in east, yet the split
 * in west resolves to it.
 */
class RemoteClustersTest {

    private static final ObjectRef REVIEWS_V1 = ObjectRef.of("default", "reviews-v1");
    private static final ObjectRef REVIEWS_V2 = ObjectRef.of("default", "reviews-v2");

    private MockApiServer west;
    private MockApiServer east;
    private KubernetesSource source;
    private final AtomicReference<MeshSnapshot> latest = new AtomicReference<>();
    private final AtomicInteger versions = new AtomicInteger();

    @BeforeEach
    void clusters() {
        west = new MockApiServer();
        east = new MockApiServer();
        KubernetesClient w = west.client();
        w.services().resource(service("reviews", Map.of("app", "reviews"), 9080)).create();
        w.services().resource(service("reviews-v1", Map.of("app", "reviews", "version", "v1"), 9080)).create();
        w.pods().resource(pod("reviews-v1-0", Map.of("app", "reviews", "version", "v1"), "10.1.0.1", true)).create();
        w.discovery().v1().endpointSlices().resource(slice("reviews-v1-a", "reviews-v1", "reviews-v1-0", "10.1.0.1", 9080,
                true, false)).create();
        west.trafficSplits().resource(split("reviews", 50, 50)).create();
        // east has a pod of the same name as west's: it must stay a different workload
        KubernetesClient e = east.client();
        e.services().resource(service("reviews-v1", Map.of("app", "reviews", "version", "v1"), 9080)).create();
        e.services().resource(service("reviews-v2", Map.of("app", "reviews", "version", "v2"), 9080)).create();
        e.pods().resource(pod("reviews-v1-0", Map.of("app", "reviews", "version", "v1"), "10.2.0.1", true)).create();
        e.pods().resource(pod("reviews-v2-0", Map.of("app", "reviews", "version", "v2"), "10.2.0.2", true)).create();
        e.discovery().v1().endpointSlices().resource(slice("reviews-v1-a", "reviews-v1", "reviews-v1-0", "10.2.0.1", 9080,
                true, false)).create();
        e.discovery().v1().endpointSlices().resource(slice("reviews-v2-a", "reviews-v2", "reviews-v2-0", "10.2.0.2", 9080,
                true, false)).create();
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        west.close();
        east.close();
    }

    private RemoteClusters start(Duration staleAfter) throws Exception {
        RemoteClusters remotes = new RemoteClusters("west", staleAfter);
        source = new KubernetesSource(west.newClient()).withClusters("west", remotes);
        source.start(s -> {
            latest.set(s);
            versions.incrementAndGet();
        }, () -> { });
        return remotes;
    }

    @Test
    void aRemoteClustersServicesAndEndpointsJoinTheMeshTaggedWithTheirCluster() throws Exception {
        RemoteClusters remotes = start(RemoteClusters.DEFAULT_STALE_AFTER);
        assertThat(latest.get().services()).doesNotContainKey(REVIEWS_V2);
        assertThat(latest.get().splits()).as("the split of reviews waits for reviews-v2, which no cluster has yet").isEmpty();

        long added = System.nanoTime();
        remotes.add("east", east.newClient(), "test");
        Eventually.await(Duration.ofSeconds(5), "east's endpoints", () -> endpoints(REVIEWS_V1).size() == 2);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - added);

        assertThat(endpoints(REVIEWS_V1)).extracting(e -> e.workload().cluster() + " " + e.workload().ref() + " " + e.address())
                .containsExactlyInAnyOrder("west default/reviews-v1-0 10.1.0.1", "east default/reviews-v1-0@east 10.2.0.1");
        assertThat(endpoints(REVIEWS_V2)).singleElement().satisfies(e -> {
            assertThat(e.workload().cluster()).isEqualTo("east");
            assertThat(e.address()).isEqualTo("10.2.0.2");
        });
        assertThat(latest.get().splits()).as("the canary that lives only in east gets its share from west's split")
                .hasSize(1);
        assertThat(ms).as("a remote cluster added takes effect within 1 s (aim; bound for a loaded box)").isLessThan(5000);
        System.out.printf("remote cluster added: its endpoints in the snapshot after %d ms%n", ms);

        long removed = System.nanoTime();
        remotes.remove("east");
        Eventually.await(Duration.ofSeconds(5), "east's endpoints gone", () -> endpoints(REVIEWS_V1).size() == 1);
        System.out.printf("remote cluster removed: its endpoints gone after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removed));
        assertThat(latest.get().services()).doesNotContainKey(REVIEWS_V2);
    }

    @Test
    void remoteSecretsAddAndDropClustersWithinASecondAndABadOneDisturbsNoOther() throws Exception {
        RemoteClusters remotes = start(RemoteClusters.DEFAULT_STALE_AFTER);
        remotes.watchSecrets(west.newClient(), "meshwork-system");
        KubernetesClient w = west.client();
        w.secrets().inNamespace("meshwork-system").resource(secret("broken", "not: [a kubeconfig")).create();

        long created = System.nanoTime();
        w.secrets().inNamespace("meshwork-system").resource(secret("east-secret", kubeconfig(east))).create();
        Eventually.await(Duration.ofSeconds(5), "east through its Secret", () -> endpoints(REVIEWS_V2).size() == 1);
        long createdMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created);
        assertThat(remotes.status()).extracting(RemoteClusters.Status::name).containsExactly("east");

        long deleted = System.nanoTime();
        w.secrets().inNamespace("meshwork-system").withName("east-secret").delete();
        Eventually.await(Duration.ofSeconds(5), "east gone with its Secret", () -> endpoints(REVIEWS_V2).isEmpty());
        long deletedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deleted);
        System.out.printf("remote Secret created: endpoints after %d ms; deleted: gone after %d ms%n", createdMs, deletedMs);
        // aim: 1 s (the issue's; 0.4-0.7 s on an idle 2-core box); the bound only catches "not until a resync"
        // on a loaded one, the printed figures are the record
        assertThat(createdMs).isLessThan(5000);
        assertThat(deletedMs).isLessThan(5000);
    }

    @Test
    void anUnreachableRemoteKeepsItsEndpointsWhileStaleThenTheyAreDropped() throws Exception {
        RemoteClusters remotes = start(Duration.ofSeconds(3));
        remotes.add("east", east.newClient(), "test");
        Eventually.await(Duration.ofSeconds(5), "east synced", () -> endpoints(REVIEWS_V2).size() == 1
                && remotes.status().get(0).state().equals("synced"));

        assertThat(remotes.statusJson()).as("/debug/clusters").startsWith("[{\"name\":\"east\",\"origin\":\"test\"")
                .contains("\"state\":\"synced\"").contains("\"services\":2");

        east.close(); // the remote API server goes away
        Eventually.await(Duration.ofSeconds(10), "east marked stale", () -> remotes.status().get(0).state().equals("stale"));
        assertThat(endpoints(REVIEWS_V2)).as("its last endpoints keep serving while stale").hasSize(1);

        Eventually.await(Duration.ofSeconds(10), "east dropped after the grace period", () -> endpoints(REVIEWS_V2).isEmpty());
        assertThat(remotes.status().get(0).state()).isEqualTo("dropped");
        assertThat(endpoints(REVIEWS_V1)).extracting(e -> e.workload().cluster()).containsExactly("west");
    }

    private List<ServiceEndpoint> endpoints(ObjectRef service) {
        MeshSnapshot snapshot = latest.get();
        return snapshot == null ? List.of() : snapshot.endpointsOf(service);
    }

    private static io.fabric8.kubernetes.api.model.Secret secret(String name, String kubeconfig) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace("meshwork-system")
                .addToLabels(RemoteClusters.SECRET_LABEL, "true").addToAnnotations(RemoteClusters.NAME_ANNOTATION,
                        name.replace("-secret", "")).endMetadata()
                .addToData(RemoteClusters.SECRET_KEY, Base64.getEncoder().encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    private static String kubeconfig(MockApiServer cluster) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: remote
                  cluster: {server: "%s"}
                users:
                - name: reader
                  user: {token: not-checked}
                contexts:
                - name: remote
                  context: {cluster: remote, user: reader}
                current-context: remote
                """.formatted(cluster.client().getMasterUrl().toString());
    }
}
