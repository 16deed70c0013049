package io.meshwork.controlplane.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.xds.Eventually;
import io.meshwork.injector.YamlDocuments;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A mesh written with every SMI version Meshwork reads ({@code smi-versions.yaml}: v1alpha1 Quantity
 * weights, top-level route-group matches, list headers, a v1alpha2 target's port) is the same read from
 * a cluster as from a folder.
 *
 * <p>A real API server with {@code mesh install}'s CRDs (conversion None) validates and prunes each object
 * at the version it is written, stores it at the storage version (pruned there too) and serves it at
 * the version the informer asks for with only apiVersion rewritten, pruned once more. fabric8's mock
 * server converts nothing and keeps objects per version path, so each object is created at the version
 * {@link KubernetesSource} reads, as the real server would hand it out ({@link InstalledCrds#servedAt}:
 * a v1alpha1 split arrives as v1alpha4 with its {@code 500m}).
 */
class SmiVersionsInClusterTest {

    private static final String FILE = "smi-versions.yaml";
    private static final InstalledCrds CRDS = InstalledCrds.ofMeshInstall();

    private static MockApiServer api;
    private static KubernetesSource source;
    private static MeshSnapshot folder;
    private static MeshSnapshot cluster;

    @BeforeAll
    static void readTheSameMeshFromAFolderAndFromACluster() throws Exception {
        String text = InstalledCrdsTest.resource(FILE);
        LoadResult loaded = new LocalConfigLoader().load(Map.of(FILE, text));
        assertThat(loaded.errors()).isEmpty();
        folder = loaded.snapshot();

        api = new MockApiServer();
        KubernetesClient client = api.client();
        for (JsonNode written : YamlDocuments.read(text, FILE)) {
            String kind = written.path("kind").asString();
            if (kind.equals("Service")) {
                client.services().resource(client.getKubernetesSerialization().unmarshal(written.toString(), Service.class))
                        .create();
                continue;
            }
            KubernetesSource.CustomKind read = KubernetesSource.CUSTOM_KINDS.stream().filter(k -> k.kind().equals(kind))
                    .findFirst().orElseThrow();
            JsonNode served = CRDS.servedAt(written, read.version());
            client.genericKubernetesResources(read.context()).resource(client.getKubernetesSerialization()
                    .unmarshal(served.toString(), GenericKubernetesResource.class)).create();
        }
        AtomicReference<MeshSnapshot> latest = new AtomicReference<>();
        source = new KubernetesSource(api.newClient());
        source.start(latest::set, () -> { });
        Eventually.await(Duration.ofSeconds(5), "every split, route group and target", () -> latest.get() != null
                && latest.get().splits().size() == folder.splits().size()
                && latest.get().routeGroups().size() == folder.routeGroups().size()
                && latest.get().trafficTargets().size() == folder.trafficTargets().size());
        cluster = latest.get();
    }

    @AfterAll
    static void stop() {
        if (source != null) {
            source.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void aV1alpha1SplitWithQuantityWeightsRoutesAsInTheFolder() {
        TrafficSplit reviews = cluster.splits().get(ObjectRef.of("default", "reviews"));

        assertThat(reviews.backends()).containsExactly(new TrafficSplit.Backend("reviews-v1", 1000),
                new TrafficSplit.Backend("reviews-v2", 500));
        assertThat(reviews).isEqualTo(folder.splits().get(ObjectRef.of("default", "reviews")));
    }

    @Test
    void routeGroupsWithTopLevelMatchesAndListHeadersKeepTheirMatches() {
        HttpRouteGroup metrics = cluster.routeGroups().get(ObjectRef.of("default", "metrics"));
        HttpRouteGroup firefox = cluster.routeGroups().get(ObjectRef.of("default", "firefox-users"));

        assertThat(metrics.matches()).containsExactly(new HttpRouteGroup.Match("metrics", "/metrics", List.of("GET"), Map.of()));
        assertThat(firefox.matches()).containsExactly(new HttpRouteGroup.Match("firefox", "", List.of(),
                Map.of("user-agent", ".*Firefox.*")));
    }

    @Test
    void aV1alpha2TrafficTargetKeepsTheOnePortItAllows() {
        assertThat(cluster.trafficTargets().get(ObjectRef.of("default", "prometheus-scrapes-reviews")).port())
                .isEqualTo(9080);
    }

    @Test
    void everySplitRouteGroupAndTrafficTargetIsTheFoldersOwn() {
        assertThat(cluster.splits()).hasSize(4).isEqualTo(folder.splits());
        assertThat(cluster.routeGroups()).hasSize(4).isEqualTo(folder.routeGroups());
        assertThat(cluster.trafficTargets()).hasSize(2).isEqualTo(folder.trafficTargets());
    }
}
