package io.meshwork.injector;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends the kubelet's HTTP, TCP and gRPC probes of app containers through the sidecar's health
 * port, as Istio does: with STRICT mTLS a plaintext probe to the app port would be refused, and a
 * TCP probe would always succeed against the capturing proxy. The probe becomes
 * {@code GET :15021/app-health/<container>/livez|readyz|startupz}; the original, with named ports
 * resolved to numbers, goes into the sidecar's {@code MESH_KUBE_APP_PROBERS} JSON, keyed by that path.
 */
final class ProbeRewriter {

    /** Probe field → the path segment the sidecar serves for it. */
    private static final Map<String, String> KINDS = Map.of(
            "livenessProbe", "livez", "readinessProbe", "readyz", "startupProbe", "startupz");
    private static final String[] ORDER = {"livenessProbe", "readinessProbe", "startupProbe"};

    /** One rewritten probe: where it is in the pod and what replaces it. */
    record Rewrite(int containerIndex, String probeField, ObjectNode probe) {
    }

    /** The rewrites and the originals keyed by their new path (empty when nothing was rewritten). */
    record Result(java.util.List<Rewrite> rewrites, Map<String, JsonNode> originals) {
    }

    Result rewrite(JsonNode containers) {
        java.util.List<Rewrite> rewrites = new java.util.ArrayList<>();
        Map<String, JsonNode> originals = new LinkedHashMap<>();
        for (int i = 0; i < containers.size(); i++) {
            JsonNode container = containers.get(i);
            String name = container.path("name").asString("");
            if (name.equals(MeshNames.PROXY_CONTAINER)) {
                continue;
            }
            for (String field : ORDER) {
                JsonNode probe = container.path(field);
                ObjectNode original = original(probe, container);
                if (original == null) {
                    continue;
                }
                String path = "/app-health/" + name + "/" + KINDS.get(field);
                ObjectNode replacement = ((ObjectNode) probe).deepCopy();
                replacement.remove(java.util.List.of("httpGet", "tcpSocket", "grpc"));
                replacement.putObject("httpGet")
                        .put("path", path)
                        .put("port", MeshNames.HEALTH_PORT)
                        .put("scheme", "HTTP");
                rewrites.add(new Rewrite(i, field, replacement));
                originals.put(path, original);
            }
        }
        return new Result(rewrites, originals);
    }

    /** What the sidecar needs to run the app's probe itself, or null for probes it leaves alone. */
    private static ObjectNode original(JsonNode probe, JsonNode container) {
        if (!probe.isObject()) {
            return null;
        }
        ObjectNode original = JsonNodeFactory.instance.objectNode();
        for (String handler : new String[] {"httpGet", "tcpSocket", "grpc"}) {
            JsonNode action = probe.path(handler);
            if (!action.isObject()) {
                continue;
            }
            Integer port = resolvePort(action.path("port"), container);
            if (port == null) {
                return null; // a port the pod does not name: leave the probe as the user wrote it
            }
            ObjectNode copy = ((ObjectNode) action).deepCopy();
            copy.put("port", port);
            original.set(handler, copy);
            if (probe.has("timeoutSeconds")) {
                original.set("timeoutSeconds", probe.get("timeoutSeconds"));
            }
            return original;
        }
        return null; // exec probes run inside the container and need no rewriting
    }

    private static Integer resolvePort(JsonNode port, JsonNode container) {
        if (port.isIntegralNumber()) {
            return port.asInt();
        }
        String text = port.asString("");
        if (text.matches("\\d+")) {
            return Integer.valueOf(text);
        }
        for (JsonNode declared : container.path("ports")) {
            if (text.equals(declared.path("name").asString(null)) && declared.path("containerPort").isIntegralNumber()) {
                return declared.path("containerPort").asInt();
            }
        }
        return null;
    }
}
