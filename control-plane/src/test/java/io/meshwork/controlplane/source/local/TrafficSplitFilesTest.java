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

    private static final String ROUTE = """
            # reviews through the Gateway API: testers to v2, everyone else split.
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews, namespace: default}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
                - name: testers
                  matches: [{headers: [{name: x-canary, value: "true"}]}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - name: canary   # the rule mesh split weighs
                  backendRefs:
                    - name: reviews-v1
                      port: 9080
                      weight: 90
                      filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-v, value: "1"}]}}]
                    - {name: reviews-v2, port: 9080}
            """;

    private TrafficSplitFiles filesWithRoute(String route) throws IOException {
        Files.writeString(dir.resolve("splits.yaml"), SPLITS);
        Files.writeString(dir.resolve("route.yaml"), route);
        return new TrafficSplitFiles(dir);
    }

    @Test
    void anHttpRouteOfTheServiceOverridesItsSplitAndItsRuleWithoutMatchesHoldsTheWeights() throws IOException {
        var location = filesWithRoute(ROUTE).find("default", "reviews").orElseThrow();

        assertThat(location.title()).isEqualTo("HTTPRoute default/reviews");
        assertThat(location.ruleIndex()).isEqualTo(1);
        assertThat(location.weights()).as("a backendRef's weight defaults to 1")
                .containsExactly(Map.entry("reviews-v1", 90L), Map.entry("reviews-v2", 1L));
    }

    @Test
    void rewritingARouteChangesOnlyThatRulesWeightsAndAppendsANewBackendWithThePortOfTheFirst() throws IOException {
        TrafficSplitFiles files = filesWithRoute(ROUTE);
        var location = files.find("default", "reviews").orElseThrow();

        String text = files.rewrite(location, Map.of("reviews-v1", 0L, "reviews-v3", 10L), "promoting reviews-v3: step 1/4");
        TrafficSplitFiles.replaceAtomically(location.file(), text);

        var after = files.find("default", "reviews").orElseThrow();
        assertThat(after.weights()).containsExactly(
                Map.entry("reviews-v1", 0L), Map.entry("reviews-v2", 1L), Map.entry("reviews-v3", 10L));
        assertThat(after.status()).isEqualTo("promoting reviews-v3: step 1/4");
        assertThat(text).contains("# the rule mesh split weighs").contains("responseHeaderModifier")
                .contains("backendRefs: [{name: reviews-v2, port: 9080}]")
                .contains("- {name: reviews-v3, port: 9080, weight: 10}");
        assertThat(Files.readString(dir.resolve("splits.yaml"))).isEqualTo(SPLITS);
    }

    @Test
    void aRouteWithoutARuleWithoutMatchesOrTwoSuchRoutesAreRefusedInOneLine() throws IOException {
        String onlyTesters = ROUTE.substring(0, ROUTE.indexOf("    - name: canary"));
        assertThatThrownBy(() -> filesWithRoute(onlyTesters).find("default", "reviews"))
                .hasMessage("HTTPRoute default/reviews routes service reviews (so its TrafficSplit does not apply) but has no "
                        + "rule without matches whose backendRefs could be weighed; add one (spec.rules[].backendRefs with no matches)");

        Files.writeString(dir.resolve("route2.yaml"), ROUTE.replace("name: reviews, namespace", "name: reviews-2, namespace"));
        assertThatThrownBy(() -> filesWithRoute(ROUTE).find("default", "reviews"))
                .hasMessageStartingWith("HTTPRoutes [reviews, reviews-2] in namespace default each have a rule without matches");
    }

    private static final String GRPC_ROUTE = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: reviews-grpc, namespace: default}
            spec:
              parentRefs: [{kind: Service, name: reviews, port: 9080}]
              rules:
                - matches: [{method: {service: reviews.Reviews, method: Beta}}]
                  backendRefs: [{name: reviews-v2, port: 9080}]
                - backendRefs:   # no matches: every other call
                    - {name: reviews-v1, port: 9080, weight: 70}
                    - {name: reviews-v2, port: 9080, weight: 30}
            """;

    @Test
    void aGrpcRouteOfTheServiceHoldsItsWeightsUnlessAnHttpRouteOverridesIt() throws IOException {
        TrafficSplitFiles files = filesWithRoute(GRPC_ROUTE);
        var location = files.find("default", "reviews").orElseThrow();
        assertThat(location.title()).isEqualTo("GRPCRoute default/reviews-grpc");
        assertThat(location.ruleIndex()).isEqualTo(1);
        assertThat(location.weights()).containsExactly(Map.entry("reviews-v1", 70L), Map.entry("reviews-v2", 30L));

        String text = files.rewrite(location, Map.of("reviews-v1", 50L, "reviews-v2", 50L), "promoting reviews-v2: step 2/4");
        TrafficSplitFiles.replaceAtomically(location.file(), text);
        assertThat(files.find("default", "reviews").orElseThrow().weights())
                .containsExactly(Map.entry("reviews-v1", 50L), Map.entry("reviews-v2", 50L));
        assertThat(text).contains("# no matches: every other call").contains("backendRefs: [{name: reviews-v2, port: 9080}]");
        assertThat(Files.readString(dir.resolve("splits.yaml"))).isEqualTo(SPLITS);

        Files.writeString(dir.resolve("http-route.yaml"), ROUTE);
        assertThat(files.find("default", "reviews").orElseThrow().title())
                .as("an HTTPRoute on the service overrides its GRPCRoute, as translation does").isEqualTo("HTTPRoute default/reviews");
    }

    @Test
    void aWeightThatIsNoWholeNumberIsRefusedNamingFileDocumentAndField() throws IOException {
        assertThatThrownBy(() -> filesWithRoute(ROUTE.replace("weight: 90", "weight: 9.5")).find("default", "reviews"))
                .hasMessage("route.yaml doc 1 (line 2): HTTPRoute default/reviews: spec.rules[1].backendRefs[0].weight: "
                        + "\"9.5\" is not a whole number");
    }

    @Test
    void missingConfigDirIsAClearError() {
        assertThatThrownBy(() -> new TrafficSplitFiles(dir.resolve("nope")).find("default", "reviews"))
                .hasMessageContaining("config dir").hasMessageContaining("does not exist");
    }
}
