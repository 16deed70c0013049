package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrafficSplitFilesTest {

    private static final String SPLITS = """
            # Canary of reviews: v1 is the primary.
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata:
              name: reviews-split
              namespace: default
            spec:
              service: reviews   # the root service clients call
              backends:
                - service: reviews-v1
                  weight: 90
                - service: reviews-v2
                  weight: 10
            ---
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata:
              name: reviews-canary-header
            spec:
              service: reviews
              matches:
                - kind: HTTPRouteGroup
                  name: canary-header
              backends:
                - service: reviews-v2
                  weight: 100
            """;

    @TempDir
    Path dir;

    private TrafficSplitFiles files() throws IOException {
        Files.writeString(dir.resolve("splits.yaml"), SPLITS);
        return new TrafficSplitFiles(dir);
    }

    @Test
    void findsTheDefaultSplitOfAServiceAndItsWeights() throws IOException {
        var location = files().find("default", "reviews").orElseThrow();

        assertThat(location.name()).isEqualTo("reviews-split");
        assertThat(location.documentIndex()).isZero();
        assertThat(location.weights()).containsExactly(Map.entry("reviews-v1", 90L), Map.entry("reviews-v2", 10L));
    }

    @Test
    void quantityWeightsAreReadAsTheParserReadsThemAllInMilliUnitsOnceOneIsAQuantity() throws IOException {
        for (String service : java.util.List.of("reviews", "reviews-v1", "reviews-v2")) {
            Files.writeString(dir.resolve(service + ".yaml"), """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: %s}
                    spec:
                      selector: {app: reviews}
                      ports: [{name: http, port: 9080}]
                    """.formatted(service));
        }
        Files.writeString(dir.resolve("splits.yaml"), """
                apiVersion: split.smi-spec.io/v1alpha1
                kind: TrafficSplit
                metadata: {name: reviews-split}
                spec:
                  service: reviews
                  backends:
                    - {service: reviews-v1, weight: "1"}
                    - {service: reviews-v2, weight: 500m}
                """);
        TrafficSplitFiles files = new TrafficSplitFiles(dir);

        assertThat(files.find("default", "reviews").orElseThrow().weights()).as("\"1\" is 1000m beside 500m, 2:1")
                .containsExactly(Map.entry("reviews-v1", 1000L), Map.entry("reviews-v2", 500L));
        var loaded = new LocalConfigLoader().load(dir);
        assertThat(loaded.errors()).isEmpty();
        var parsed = loaded.snapshot().splits().values().iterator().next();
        assertThat(parsed.backends()).extracting(b -> b.weight()).containsExactly(1000L, 500L);
    }

    @Test
    void unknownServiceHasNoSplit() throws IOException {
        assertThat(files().find("default", "ratings")).isEmpty();
    }

    @Test
    void rewriteChangesOnlyTheWeightsAndKeepsCommentsAndOtherDocuments() throws IOException {
        TrafficSplitFiles files = files();
        var location = files.find("default", "reviews").orElseThrow();

        String text = files.rewrite(location, Map.of("reviews-v1", 50L, "reviews-v2", 50L), null);
        TrafficSplitFiles.replaceAtomically(location.file(), text);

        assertThat(text).contains("# Canary of reviews: v1 is the primary.").contains("# the root service clients call");
        assertThat(files.find("default", "reviews").orElseThrow().weights())
                .containsExactly(Map.entry("reviews-v1", 50L), Map.entry("reviews-v2", 50L));
        assertThat(text).contains("name: reviews-canary-header").contains("weight: 100");
    }

    @Test
    void rewriteAppendsANewBackendAndRecordsTheStatus() throws IOException {
        TrafficSplitFiles files = files();
        var location = files.find("default", "reviews").orElseThrow();

        TrafficSplitFiles.replaceAtomically(location.file(),
                files.rewrite(location, Map.of("reviews-v3", 5L), "promoting reviews-v3: step 1/4"));

        var after = files.find("default", "reviews").orElseThrow();
        assertThat(after.weights()).containsExactly(
                Map.entry("reviews-v1", 90L), Map.entry("reviews-v2", 10L), Map.entry("reviews-v3", 5L));
        assertThat(after.status()).isEqualTo("promoting reviews-v3: step 1/4");
    }

    @Test
    void rewriteWithoutAStatusRemovesTheNoteAndTheAnnotationsItLeftEmpty() throws IOException {
        TrafficSplitFiles files = files();
        var location = files.find("default", "reviews").orElseThrow();
        TrafficSplitFiles.replaceAtomically(location.file(), files.rewrite(location, Map.of(), "rolled back: why"));
        var noted = files.find("default", "reviews").orElseThrow();

        String text = files.rewriteWithStatus(noted, Map.of("reviews-v1", 80L), null);
        TrafficSplitFiles.replaceAtomically(location.file(), text);

        assertThat(noted.status()).isEqualTo("rolled back: why");
        assertThat(files.find("default", "reviews").orElseThrow().status()).isNull();
        assertThat(text).doesNotContain("annotations").doesNotContain(TrafficSplitFiles.STATUS_ANNOTATION);
    }

    @Test
    void missingConfigDirIsAClearError() {
        assertThatThrownBy(() -> new TrafficSplitFiles(dir.resolve("nope")).find("default", "reviews"))
                .hasMessageContaining("config dir").hasMessageContaining("does not exist");
    }
}
