package io.meshwork.controlplane.xds;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;

/** Reads the string fields of a node's metadata that the xDS contract defines ({@code MESH_*}). */
public final class NodeMetadata {

    private NodeMetadata() {
    }

    /** The string value of {@code key}, or {@code fallback} when it is absent or empty. */
    public static String string(Node node, String key, String fallback) {
        Value value = node.getMetadata().getFieldsMap().get(key);
        return value == null || value.getStringValue().isEmpty() ? fallback : value.getStringValue();
    }
}
