package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static io.meshwork.controlplane.source.local.Manifests.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import org.junit.jupiter.api.Test;

class TrafficSplitValidationTest {

    private static final ObjectRef REVIEWS_SPLIT = ObjectRef.of("default", "reviews");

    private static LoadResult load(String splitYaml) {
        return new LocalConfigLoader().load(files("mesh.yaml", reviews(), "split.yaml", splitYaml));
    }

    private static final String AB_GROUP = """
            apiVersion: specs.smi-spec.io/v1alpha4
            kind: HTTPRouteGroup
            metadata:
              name: canary-header
            spec:
              matches:
              - name: canary
                headers:
                  x-canary: "true"
            """;

    private static String withMatch(String splitYaml, String group) {
        return splitYaml + "  matches:\n  - kind: HTTPRouteGroup\n    name: " + group + "\n";
    }

    @Test
    void acceptsIntegerWeights() {
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits().get(REVIEWS_SPLIT).backends()).containsExactly(
                new TrafficSplit.Backend("reviews-v1", 90), new TrafficSplit.Backend("reviews-v2", 10));
    }

    @Test
    void readsV1alpha1QuantityWeightsAsMilliUnits() {
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", "900m", "reviews-v2", "\"0.1\"")
                .replace("v1alpha4", "v1alpha1"));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits().get(REVIEWS_SPLIT).backends()).extracting(TrafficSplit.Backend::weight)
                .containsExactly(900L, 100L);
    }

    @Test
    void readsQuantityWeightsWhateverTheApiVersionSays() {
        // A split written at v1alpha1 is handed out by a cluster at v1alpha4 with only its apiVersion rewritten.
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", "900m", "reviews-v2", "\"100m\""));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits().get(REVIEWS_SPLIT).backends()).extracting(TrafficSplit.Backend::weight)
                .containsExactly(900L, 100L);
    }

    @Test
    void oneQuantityWeightMakesTheIntegerWeightsOfItsSplitWholeUnits() {
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", 1, "reviews-v2", "500m"));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits().get(REVIEWS_SPLIT).backends()).extracting(TrafficSplit.Backend::weight)
                .containsExactly(1000L, 500L);
    }

    @Test
    void integerWeightsAreReadAsWrittenAtEveryVersion() {
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", 1, "reviews-v2", 3)
                .replace("v1alpha4", "v1alpha1"));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits().get(REVIEWS_SPLIT).backends()).extracting(TrafficSplit.Backend::weight)
                .containsExactly(1L, 3L);
    }

    @Test
    void rejectsBackendThatIsNotAServiceInTheNamespace() {
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", 90, "reviews-v3", 10));
        assertThat(result.errors()).singleElement().hasToString("split.yaml doc 1 (line 10): TrafficSplit default/reviews: "
                + "spec.backends[1].service: \"reviews-v3\" is not a Service in namespace default");
        assertThat(result.snapshot().splits()).isEmpty();
    }

    @Test
    void rejectingASplitKeepsTheServicesItNames() {
        LoadResult result = load(split("reviews", "reviews", "reviews-v1", 90, "reviews-v3", 10));
        assertThat(result.snapshot().services()).containsKeys(ObjectRef.of("default", "reviews"), ObjectRef.of("default", "reviews-v1"));
    }

    @Test
    void rejectsMissingRootService() {
        assertThat(load(split("ratings", "ratings", "reviews-v1", 1)).errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.service");
            assertThat(p.message()).isEqualTo("\"ratings\" is not a Service in namespace default");
        });
    }

    @Test
    void rejectsBackendThatLacksAPortOfTheRootService() {
        LoadResult result = new LocalConfigLoader().load(files("mesh.yaml", docs(reviews(), service("reviews-v9", "reviews", "v9", 8080)),
                "split.yaml", split("reviews", "reviews", "reviews-v1", 1, "reviews-v9", 1)));
        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.message())
                .isEqualTo("Service reviews-v9 has no port 9080, which the root service reviews exposes"));
    }

    @Test
    void rejectsNegativeWeight() {
        assertThat(load(split("reviews", "reviews", "reviews-v1", -1, "reviews-v2", 10)).errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.backends[0].weight");
            assertThat(p.message()).isEqualTo("must not be negative (-1)");
        });
    }

    @Test
    void rejectsWeightThatIsNotAnInteger() {
        assertThat(load(split("reviews", "reviews", "reviews-v1", "50%", "reviews-v2", 10)).errors()).singleElement()
                .satisfies(p -> {
                    assertThat(p.field()).isEqualTo("spec.backends[0].weight");
                    assertThat(p.message()).isEqualTo("must be a non-negative integer or a Quantity of whole milli-units "
                            + "such as 500m (v1alpha1's form), not \"50%\"");
                });
    }

    @Test
    void rejectsSplitWhoseWeightsAreAllZero() {
        assertThat(load(split("reviews", "reviews", "reviews-v1", 0, "reviews-v2", 0)).errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.backends");
            assertThat(p.message()).startsWith("every weight is 0");
        });
    }

    @Test
    void rejectsWeightsThatOverflowEnvoysTotalWeight() {
        assertThat(load(split("reviews", "reviews", "reviews-v1", 4_000_000_000L, "reviews-v2", 400_000_000L)).errors())
                .singleElement().satisfies(p -> assertThat(p.message()).startsWith("the weights add up to more than"));
    }

    @Test
    void rejectsBackendListedTwice() {
        assertThat(load(split("reviews", "reviews", "reviews-v1", 1, "reviews-v1", 1)).errors()).singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("spec.backends[1].service"));
    }

    @Test
    void rejectsMatchOfAnotherKind() {
        String yaml = split("reviews", "reviews", "reviews-v1", 1) + "  matches:\n  - kind: TCPRoute\n    name: x\n";
        assertThat(load(yaml).errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.matches[0].kind");
            assertThat(p.message()).isEqualTo("\"TCPRoute\" is not supported (only HTTPRouteGroup)");
        });
    }

    @Test
    void rejectsMatchNamingAMissingRouteGroup() {
        assertThat(load(withMatch(split("ab", "reviews", "reviews-v2", 1), "nope")).errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.matches[0].name");
            assertThat(p.message()).isEqualTo("\"nope\" is not an HTTPRouteGroup in namespace default");
        });
    }

    @Test
    void splitsWithMatchesShareTheirRootWithTheDefaultSplit() {
        LoadResult result = load(docs(split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10),
                withMatch(split("reviews-canary", "reviews", "reviews-v2", 1), "canary-header"), AB_GROUP));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splitsFor(ObjectRef.of("default", "reviews"))).extracting(s -> s.ref().name())
                .containsExactly("reviews", "reviews-canary");
    }

    @Test
    void twoDefaultSplitsOfOneRootConflictAndNeitherIsApplied() {
        LoadResult result = load(docs(split("reviews-a", "reviews", "reviews-v1", 1),
                split("reviews-b", "reviews", "reviews-v2", 1)));
        assertThat(result.errors()).hasSize(2).allSatisfy(p -> assertThat(p.message())
                .contains("both are the default split (no matches) of Service default/reviews")
                .endsWith("neither is applied, so reviews is served unsplit"));
        assertThat(result.errors()).extracting(ConfigProblem::object)
                .containsExactly(ObjectRef.of("default", "reviews-a"), ObjectRef.of("default", "reviews-b"));
        assertThat(result.snapshot().splits()).isEmpty();
    }

    @Test
    void acceptsV1alpha2AndV1alpha3() {
        LoadResult result = load(docs(split("a", "reviews", "reviews-v1", 1).replace("v1alpha4", "v1alpha2"),
                withMatch(split("b", "reviews", "reviews-v2", 1).replace("v1alpha4", "v1alpha3"), "canary-header"), AB_GROUP));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits()).hasSize(2);
    }

    @Test
    void rejectsUnsupportedVersionOfAKnownKind() {
        assertThat(load(split("reviews", "reviews", "reviews-v1", 1).replace("v1alpha4", "v1beta1")).errors())
                .singleElement().satisfies(p -> {
                    assertThat(p.field()).isEqualTo("apiVersion");
                    assertThat(p.message()).startsWith("\"split.smi-spec.io/v1beta1\" is not supported for TrafficSplit");
                });
    }
}
