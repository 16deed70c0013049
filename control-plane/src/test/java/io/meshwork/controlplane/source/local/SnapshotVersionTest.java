package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.split;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SnapshotVersionTest {

    private static String version(String... files) {
        return new LocalConfigLoader().load(files(files)).snapshot().version();
    }

    @Test
    void equalContentGivesTheSameVersionWhateverTheFileLayout() {
        String split = split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10);
        assertThat(version("a.yaml", reviews(), "b.yaml", split))
                .isEqualTo(version("one.yaml", Manifests.docs(split, reviews())));
    }

    @Test
    void labelOrderDoesNotChangeTheVersion() {
        String workload = Manifests.workload("w", "reviews", "v1", "127.0.0.2", 9080);
        String reordered = workload.replace("    app: reviews\n    version: v1\n", "    version: v1\n    app: reviews\n");
        assertThat(reordered).isNotEqualTo(workload);
        assertThat(version("a.yaml", workload)).isEqualTo(version("a.yaml", reordered));
    }

    @Test
    void changingAWeightChangesTheVersion() {
        assertThat(version("a.yaml", reviews(), "b.yaml", split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10)))
                .isNotEqualTo(version("a.yaml", reviews(), "b.yaml", split("reviews", "reviews", "reviews-v1", 0, "reviews-v2", 100)));
    }

    @Test
    void changingAWorkloadAddressChangesTheVersion() {
        assertThat(version("a.yaml", Manifests.workload("w", "reviews", "v1", "127.0.0.2", 9080)))
                .isNotEqualTo(version("a.yaml", Manifests.workload("w", "reviews", "v1", "127.0.0.3", 9080)));
    }
}
