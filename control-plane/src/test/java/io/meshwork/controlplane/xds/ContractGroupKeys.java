package io.meshwork.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * Test group keys as ARCHITECTURE.md names them: {@code sidecar/<ns>/<workload>}, {@code proxyless/<ns>/<workload>}
 * or {@code proxyless/<ns>}.
 */
public final class ContractGroupKeys implements GroupKeys {

    @Override
    public String groupOf(Node node) {
        String namespace = NodeMetadata.string(node, "MESH_NAMESPACE", "default");
        if ("sidecar".equals(NodeMetadata.string(node, "MESH_PROXY_TYPE", ""))) {
            return "sidecar/" + namespace + "/" + NodeMetadata.string(node, "MESH_WORKLOAD", "");
        }
        String workload = NodeMetadata.string(node, "MESH_WORKLOAD", "");
        return "proxyless/" + namespace + (workload.isEmpty() ? "" : "/" + workload);
    }
}
