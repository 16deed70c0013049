package io.meshwork.controlplane.canary.kubernetes;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A Canary whose plan is out of range is refused naming its spec fields, where the CLI names its flags. */
class CanaryObjectsTest {

    @Test
    void aPlanOutOfRangeNamesTheSpecFieldNotTheCliFlag() {
        assertThatThrownBy(() -> CanaryObjects.plan(canary(Map.of("steps", List.of(50, 10)))))
                .hasMessage("Canary default/reviews: spec.steps must increase, but 10 follows 50");
        assertThatThrownBy(() -> CanaryObjects.plan(canary(Map.of("steps", List.of(10), "maxP99", "0s"))))
                .hasMessage("Canary default/reviews: spec.maxP99 must be positive, got 0s");
        assertThatThrownBy(() -> CanaryObjects.plan(canary(Map.of("steps", List.of(10), "canary", "reviews-v1"))))
                .hasMessage("Canary default/reviews: canary and primary are both \"reviews-v1\"");
    }

    private static GenericKubernetesResource canary(Map<String, Object> fields) {
        Map<String, Object> spec = new LinkedHashMap<>(Map.of("service", "reviews", "primary", "reviews-v1",
                "canary", "reviews-v2"));
        spec.putAll(fields);
        return new GenericKubernetesResourceBuilder().withApiVersion("meshwork.io/v1alpha1").withKind("Canary")
                .withNewMetadata().withName("reviews").withNamespace("default").endMetadata()
                .addToAdditionalProperties("spec", spec).build();
    }
}
