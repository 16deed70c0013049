package io.meshwork.injector;

import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * What the injector did with one pod: the JSON Patch (empty when it left the pod alone), the pod
 * with the patch applied, why it skipped (null when it injected), and warnings for the user.
 */
public record InjectionResult(ArrayNode patch, JsonNode patchedPod, String skipReason, List<String> warnings) {

    public InjectionResult {
        warnings = List.copyOf(warnings);
    }

    public boolean injected() {
        return skipReason == null;
    }
}
