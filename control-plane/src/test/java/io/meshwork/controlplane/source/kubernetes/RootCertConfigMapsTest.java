package io.meshwork.controlplane.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The root certificate ConfigMap in every namespace, against fabric8's mock API server in CRUD mode. */
class RootCertConfigMapsTest {

    private static final String OLD_ROOT = "-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n";
    private static final String NEW_ROOT = "-----BEGIN CERTIFICATE-----\nnew\n-----END CERTIFICATE-----\n";

    @Test
    void everyNamespaceNowAndLaterGetsTheRootsAndARotationReachesThemAll() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient client = api.client();
            for (String ns : new String[] {"shop", "default"}) {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
            }
            try (RootCertConfigMaps publisher = new RootCertConfigMaps(client, OLD_ROOT).start()) {
                awaitRoots(client, "shop", OLD_ROOT);
                awaitRoots(client, "default", OLD_ROOT);

                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata().build())
                        .create();
                awaitRoots(client, "payments", OLD_ROOT);

                publisher.update(OLD_ROOT + NEW_ROOT);
                for (String ns : new String[] {"shop", "default", "payments"}) {
                    awaitRoots(client, ns, OLD_ROOT + NEW_ROOT);
                }
                ConfigMap written = client.configMaps().inNamespace("shop").withName(RootCertConfigMaps.NAME).get();
                assertThat(written.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "meshwork");
            }
        }
    }

    @Test
    void onlyTheLeaderWritesAndBecomingLeaderWritesEveryNamespace() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient client = api.client();
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build()).create();
            try (RootCertConfigMaps follower = RootCertConfigMaps.follower(client, OLD_ROOT).start()) {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata().build())
                        .create();
                Thread.sleep(500); // time enough for a publisher that wrongly writes to have written
                assertThat(api.requests()).as("ConfigMap calls of a replica that does not lead")
                        .noneMatch(r -> r.path().contains("/configmaps"));

                follower.leading(true);
                awaitRoots(client, "shop", OLD_ROOT);
                awaitRoots(client, "payments", OLD_ROOT);

                follower.leading(false);
                follower.update(OLD_ROOT + NEW_ROOT);
                Thread.sleep(500);
                assertThat(client.configMaps().inNamespace("shop").withName(RootCertConfigMaps.NAME).get().getData())
                        .as("a bundle change seen while not leading is the leader's to write").containsEntry(
                                RootCertConfigMaps.KEY, OLD_ROOT);
            }
        }
    }

    private static void awaitRoots(KubernetesClient client, String namespace, String pem) throws InterruptedException {
        Supplier<String> current = () -> {
            ConfigMap map = client.configMaps().inNamespace(namespace).withName(RootCertConfigMaps.NAME).get();
            return map == null || map.getData() == null ? null : map.getData().get(RootCertConfigMaps.KEY);
        };
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!pem.equals(current.get()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(current.get()).as("ConfigMap %s/%s", namespace, RootCertConfigMaps.NAME).isEqualTo(pem);
    }
}
