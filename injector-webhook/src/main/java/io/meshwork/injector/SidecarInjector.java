package io.meshwork.injector;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * Decides whether a pod gets the sidecar and, if so, produces the JSON Patch that adds it. Works
 * on the pod's JSON as the API server sent it, so fields this code does not know survive untouched.
 */
public final class SidecarInjector {

    private static final Map<String, String> PROMETHEUS = Map.of(
            "prometheus.io/scrape", "true",
            "prometheus.io/port", String.valueOf(MeshNames.METRICS_PORT),
            "prometheus.io/path", "/stats/prometheus");
    private static final String REWRITE_PROBES = "meshwork.io/rewrite-app-probers";

    private final InjectionTemplate template;

    public SidecarInjector(InjectionTemplate template) {
        this.template = template;
    }

    public InjectionTemplate template() {
        return template;
    }

    /**
     * Injects {@code pod} (a Pod, or a workload's pod template with {@code metadata} and {@code spec}).
     *
     * @throws InjectionException when the pod is not something this injector understands
     */
    public InjectionResult inject(ObjectNode pod) {
        String skip = skipReason(pod);
        if (skip != null) {
            return new InjectionResult(JsonNodeFactory.instance.arrayNode(), pod, skip, List.of());
        }
        if (!pod.path("spec").path("containers").isArray() || pod.path("spec").path("containers").isEmpty()) {
            throw new InjectionException("pod " + describe(pod) + ": spec.containers is missing or empty");
        }
        Map<String, String> annotations = strings(pod.path("metadata").path("annotations"));
        List<String> warnings = new ArrayList<>();
        boolean nativeSidecar = template.config().nativeSidecars();
        JsonPatchBuilder patch = new JsonPatchBuilder(pod);

        ProbeRewriter.Result probes = "false".equals(annotations.get(REWRITE_PROBES))
                ? new ProbeRewriter.Result(List.of(), Map.of())
                : new ProbeRewriter().rewrite(pod.path("spec").path("containers"));
        for (ProbeRewriter.Rewrite rewrite : probes.rewrites()) {
            patch.replace("/spec/containers/" + rewrite.containerIndex() + "/" + rewrite.probeField(), rewrite.probe());
        }
        String probers = probes.originals().isEmpty() ? null : YamlDocuments.JSON.writeValueAsString(probes.originals());

        Container init = template.initContainer(annotations);
        Container sidecar = template.sidecarContainer(annotations, probers, nativeSidecar, warnings);
        if (nativeSidecar) {
            // mesh-init, then the proxy, then the user's init containers: they get a working mesh network.
            patch.insertInArray("/spec/initContainers", 0, tree(init));
            patch.insertInArray("/spec/initContainers", 1, tree(sidecar));
        } else {
            // Without a proxy running yet, capture would cut the user's init containers off: capture last.
            patch.insertInArray("/spec/initContainers", -1, tree(init));
            patch.insertInArray("/spec/containers", 0, tree(sidecar));
        }
        for (Volume volume : template.volumes()) {
            patch.insertInArray("/spec/volumes", -1, tree(volume));
        }

        for (Map.Entry<String, String> e : PROMETHEUS.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            if (!annotations.containsKey(e.getKey())) {
                patch.putInObject("/metadata/annotations", e.getKey(), StringNode.valueOf(e.getValue()));
            }
        }
        patch.putInObject("/metadata/annotations", MeshNames.STATUS, StringNode.valueOf(status(nativeSidecar)));
        return new InjectionResult(patch.operations(), patch.document(), null, warnings);
    }

    /** Why this pod is left alone, or null when it gets the sidecar. */
    static String skipReason(JsonNode pod) {
        JsonNode metadata = pod.path("metadata");
        JsonNode spec = pod.path("spec");
        if (spec.path("hostNetwork").asBoolean(false)) {
            return "pod uses hostNetwork: its traffic is the node's and is never captured";
        }
        if (metadata.path("annotations").has(MeshNames.STATUS)) {
            return "pod is already injected (annotation " + MeshNames.STATUS + ")";
        }
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode container : spec.path(list)) {
                if (MeshNames.PROXY_CONTAINER.equals(container.path("name").asString(""))) {
                    return "pod already has a container named " + MeshNames.PROXY_CONTAINER;
                }
            }
        }
        // The pod's own choice wins over the namespace label; a label wins over an annotation.
        String choice = metadata.path("labels").path(MeshNames.INJECT).asString(null);
        if (choice == null) {
            choice = metadata.path("annotations").path(MeshNames.INJECT).asString(null);
        }
        if ("false".equalsIgnoreCase(choice)) {
            return "pod opts out with " + MeshNames.INJECT + "=false";
        }
        return null;
    }

    private String status(boolean nativeSidecar) {
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        status.putArray("initContainers").add(MeshNames.INIT_CONTAINER);
        if (nativeSidecar) {
            status.withArray("initContainers").add(MeshNames.PROXY_CONTAINER);
            status.putArray("containers");
        } else {
            status.putArray("containers").add(MeshNames.PROXY_CONTAINER);
        }
        var volumes = status.putArray("volumes");
        template.volumes().forEach(v -> volumes.add(v.getName()));
        status.put("image", template.config().proxyImage());
        status.put("nativeSidecar", nativeSidecar);
        return status.toString();
    }

    static String describe(JsonNode pod) {
        JsonNode metadata = pod.path("metadata");
        String name = metadata.path("name").asString("");
        if (name.isEmpty()) {
            name = metadata.path("generateName").asString("") + "*";
        }
        String namespace = metadata.path("namespace").asString("");
        return namespace.isEmpty() ? name : namespace + "/" + name;
    }

    private static JsonNode tree(Object fabric8Object) {
        return YamlDocuments.JSON.valueToTree(fabric8Object);
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.properties().forEach(e -> map.put(e.getKey(), e.getValue().asString("")));
        return map;
    }
}
