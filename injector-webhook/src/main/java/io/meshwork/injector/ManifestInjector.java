package io.meshwork.injector;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code mesh inject}: injects the pod templates of Pods, Deployments, StatefulSets, DaemonSets,
 * ReplicaSets, Jobs and CronJobs (and of the items of a List) with the webhook's template; other
 * kinds pass through untouched.
 */
public final class ManifestInjector {

    private static final Set<String> TEMPLATED = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "Job", "ReplicationController");

    private final SidecarInjector injector;

    public ManifestInjector(SidecarInjector injector) {
        this.injector = injector;
    }

    /** Injects every document of {@code yaml}; {@code notes} collects one line per skipped workload. */
    public String inject(String yaml, String source, List<String> notes) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode document : YamlDocuments.read(yaml, source)) {
            out.add(injectDocument(document, notes));
        }
        return YamlDocuments.write(out);
    }

    JsonNode injectDocument(JsonNode document, List<String> notes) {
        if (!document.isObject()) {
            return document;
        }
        ObjectNode copy = ((ObjectNode) document).deepCopy();
        String kind = copy.path("kind").asString("");
        if (kind.equals("Pod")) {
            return injectPodLike(copy, kind, copy, notes);
        }
        if (kind.equals("List") && copy.path("items").isArray()) {
            var items = copy.withArray("items");
            for (int i = 0; i < items.size(); i++) {
                items.set(i, injectDocument(items.get(i), notes));
            }
            return copy;
        }
        JsonNode template = kind.equals("CronJob")
                ? copy.path("spec").path("jobTemplate").path("spec").path("template")
                : TEMPLATED.contains(kind) ? copy.path("spec").path("template") : null;
        if (template == null || !template.isObject()) {
            return copy;
        }
        ObjectNode templateObject = (ObjectNode) template;
        if (!templateObject.path("metadata").isObject()) {
            templateObject.putObject("metadata");
        }
        JsonNode injected = injectPodLike(templateObject, kind, copy, notes);
        templateObject.set("metadata", injected.get("metadata"));
        templateObject.set("spec", injected.get("spec"));
        return copy;
    }

    private JsonNode injectPodLike(ObjectNode pod, String kind, JsonNode owner, List<String> notes) {
        String name = kind + " " + SidecarInjector.describe(owner);
        try {
            InjectionResult result = injector.inject(pod);
            result.warnings().forEach(w -> notes.add(name + ": " + w));
            if (!result.injected()) {
                notes.add(name + ": not injected: " + result.skipReason());
            }
            return result.patchedPod();
        } catch (InjectionException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }
}
