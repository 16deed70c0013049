package io.meshwork.proxy.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * Who this proxy is, sent as the xDS node (id and metadata fixed by ARCHITECTURE.md), and where its
 * admin and Prometheus endpoints can be reached ({@code host:port}, empty when not advertised).
 *
 * @param proxyType {@code MESH_PROXY_TYPE}: {@value #SIDECAR}, or {@value #ROUTER} for a {@code mesh gateway}, whose
 *                  {@code workload} is its Gateway's name
 */
public record NodeIdentity(String workload, String namespace, String serviceAccount, String instance,
                           String adminAddress, String metricsAddress, String proxyType) {

    public static final String SIDECAR = "sidecar";
    /** Istio's name for its gateways' proxies. */
    public static final String ROUTER = "router";

    /** A sidecar. */
    public NodeIdentity(String workload, String namespace, String serviceAccount, String instance,
                        String adminAddress, String metricsAddress) {
        this(workload, namespace, serviceAccount, instance, adminAddress, metricsAddress, SIDECAR);
    }

    public NodeIdentity(String workload, String namespace, String serviceAccount, String instance) {
        this(workload, namespace, serviceAccount, instance, "", "");
    }

    /** The gateway proxy of Gateway {@code namespace/gateway}. */
    public static NodeIdentity gateway(String gateway, String namespace, String serviceAccount, String instance,
                                       String adminAddress, String metricsAddress) {
        return new NodeIdentity(gateway, namespace, serviceAccount, instance, adminAddress, metricsAddress, ROUTER);
    }

    public boolean isGateway() {
        return ROUTER.equals(proxyType);
    }

    /** {@code <type>~<workload>.<namespace>~<instance>}. */
    public String nodeId() {
        return proxyType + "~" + workload + "." + namespace + "~" + instance;
    }

    public Node toNode() {
        Struct metadata = Struct.newBuilder()
                .putFields("MESH_PROXY_TYPE", string(proxyType))
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
