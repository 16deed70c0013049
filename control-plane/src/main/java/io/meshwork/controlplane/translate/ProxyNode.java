package io.meshwork.controlplane.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.Optional;

/**
 * Who asks for configuration: a sidecar serving one workload, a gateway serving one Gateway, or a proxyless gRPC
 * client. Read from
 * the xDS node metadata as ARCHITECTURE.md fixes it; {@link #groupKey()} names the snapshot it shares.
 *
 * @param workload the workload a sidecar serves, or that a proxyless gRPC server is ({@code MESH_WORKLOAD});
 *                 empty for a proxyless client that names none
 */
public record ProxyNode(Kind kind, Optional<ObjectRef> workload, String namespace, String serviceAccount) {

    public static final String PROXY_TYPE = "MESH_PROXY_TYPE";
    public static final String WORKLOAD = "MESH_WORKLOAD";
    public static final String NAMESPACE = "MESH_NAMESPACE";
    public static final String SERVICE_ACCOUNT = "MESH_SERVICE_ACCOUNT";
    public static final String DEFAULT_NAMESPACE = "default";
    /** The prefix of the gateways' cache groups. */
    public static final String GATEWAY_GROUPS = "gateway/";

    /** The kinds of xDS client the control plane serves: a {@code mesh gateway} is a GATEWAY, Istio's "router". */
    public enum Kind { SIDECAR, PROXYLESS, GATEWAY }

    /** The {@code MESH_PROXY_TYPE} of a gateway, as Istio's gateways call theirs. */
    public static final String ROUTER = "router";

    public ProxyNode {
        if ((kind == Kind.SIDECAR || kind == Kind.GATEWAY) && workload.isEmpty()) {
            throw new IllegalArgumentException("a " + kind + " ProxyNode needs a workload");
        }
        namespace = namespace == null || namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace;
        serviceAccount = serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount;
    }

    public static ProxyNode sidecar(ObjectRef workload, String serviceAccount) {
        return new ProxyNode(Kind.SIDECAR, Optional.of(workload), workload.namespace(), serviceAccount);
    }

    public static ProxyNode proxyless(String namespace) {
        return new ProxyNode(Kind.PROXYLESS, Optional.empty(), namespace, "");
    }

    /** A {@code mesh gateway} serving the Gateway {@code gateway}; its own certificate is that of service account {@code serviceAccount}. */
    public static ProxyNode gateway(ObjectRef gateway, String serviceAccount) {
        return new ProxyNode(Kind.GATEWAY, Optional.of(gateway), gateway.namespace(), serviceAccount);
    }

    /** A proxyless gRPC process that is {@code workload}: it may serve that workload's ports (XdsServerBuilder). */
    public static ProxyNode proxylessServer(ObjectRef workload) {
        return new ProxyNode(Kind.PROXYLESS, Optional.of(workload), workload.namespace(), "");
    }

    /**
     * Reads the node metadata contract. A node without {@code MESH_PROXY_TYPE: sidecar} is a proxyless
     * gRPC client, and with {@code MESH_WORKLOAD} the proxyless server of that workload. A sidecar without {@code MESH_WORKLOAD} falls back to its id
     * {@code sidecar~<workload>.<namespace>~<instance>}.
     *
     * @throws IllegalArgumentException naming the node id and the missing field
     */
    public static ProxyNode fromNode(Node node) {
        Struct metadata = node.getMetadata();
        String namespace = string(metadata, NAMESPACE);
        String workload = string(metadata, WORKLOAD);
        if (ROUTER.equals(string(metadata, PROXY_TYPE))) {
            if (workload.isEmpty()) {
                throw new IllegalArgumentException("node " + node.getId() + ": gateway metadata " + WORKLOAD
                        + " (the Gateway's name) is missing");
            }
            return gateway(ObjectRef.of(namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace, workload),
                    string(metadata, SERVICE_ACCOUNT));
        }
        if (!"sidecar".equals(string(metadata, PROXY_TYPE))) {
            return workload.isEmpty() ? proxyless(namespace)
                    : proxylessServer(ObjectRef.of(namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace, workload));
        }
        if (workload.isEmpty()) {
            ObjectRef fromId = workloadFromId(node.getId()).orElseThrow(() -> new IllegalArgumentException(
                    "node " + node.getId() + ": sidecar metadata " + WORKLOAD
                            + " is missing and the id is not sidecar~<workload>.<namespace>~<instance>"));
            workload = fromId.name();
            namespace = namespace.isEmpty() ? fromId.namespace() : namespace;
        }
        namespace = namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace;
        return sidecar(ObjectRef.of(namespace, workload), string(metadata, SERVICE_ACCOUNT));
    }

    /**
     * The cache group of this proxy: {@code sidecar/<ns>/<workload>}, {@code gateway/<ns>/<gateway>},
     * {@code proxyless/<ns>/<workload>} for a proxyless server (its server Listeners are its own) or {@code proxyless/<ns>}.
     */
    public String groupKey() {
        String kindName = switch (kind) {
            case SIDECAR -> "sidecar/";
            case GATEWAY -> GATEWAY_GROUPS;
            case PROXYLESS -> "proxyless/";
        };
        return workload.map(w -> kindName + namespace + "/" + w.name()).orElse(kindName + namespace);
    }

    /** The cache group of the {@code mesh gateway} proxies of {@code gateway}. */
    public static String gatewayGroup(ObjectRef gateway) {
        return GATEWAY_GROUPS + gateway.namespace() + "/" + gateway.name();
    }

    public boolean isSidecar() {
        return kind == Kind.SIDECAR;
    }

    public boolean isGateway() {
        return kind == Kind.GATEWAY;
    }

    private static String string(Struct metadata, String key) {
        Value value = metadata.getFieldsOrDefault(key, Value.getDefaultInstance());
        return value.hasStringValue() ? value.getStringValue() : "";
    }

    private static Optional<ObjectRef> workloadFromId(String id) {
        String[] parts = id.split("~", -1);
        if (parts.length != 3 || !"sidecar".equals(parts[0])) {
            return Optional.empty();
        }
        // Namespaces hold no dots, workload names may: split at the last one.
        int dot = parts[1].lastIndexOf('.');
        if (dot <= 0 || dot == parts[1].length() - 1) {
            return Optional.empty();
        }
        return Optional.of(ObjectRef.of(parts[1].substring(dot + 1), parts[1].substring(0, dot)));
    }
}
