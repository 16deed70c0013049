package io.meshwork.proxy.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * Who this sidecar is, sent as the xDS node (id and metadata fixed by ARCHITECTURE.md), and where its
 * admin and Prometheus endpoints can be reached ({@code host:port}, empty when not advertised).
 */
public record NodeIdentity(String workload, String namespace, String serviceAccount, String instance,
                           String adminAddress, String metricsAddress) {

    public NodeIdentity(String workload, String namespace, String serviceAccount, String instance) {
        this(workload, namespace, serviceAccount, instance, "", "");
    }

    public String nodeId() {
        return "sidecar~" + workload + "." + namespace + "~" + instance;
    }

    public Node toNode() {
        Struct metadata = Struct.newBuilder()
                .putFields("MESH_PROXY_TYPE", string("sidecar"))
                .putFields("MESH_WORKLOAD", string(workload))
                .putFields("MESH_NAMESPACE", string(namespace))
                .putFields("MESH_SERVICE_ACCOUNT", string(serviceAccount))
                .putFields("MESH_ADMIN_ADDRESS", string(adminAddress))
                .putFields("MESH_METRICS_ADDRESS", string(metricsAddress))
                .build();
        return Node.newBuilder().setId(nodeId()).setCluster(workload + "." + namespace).setMetadata(metadata).build();
    }

    private static Value string(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }
}
