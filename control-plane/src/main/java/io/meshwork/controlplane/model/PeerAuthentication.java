package io.meshwork.controlplane.model;

import java.util.Map;

/**
 * A {@code meshwork.io/v1alpha1 PeerAuthentication}, Istio's fields: which connections a workload's
 * sidecar accepts on its inbound ports. One without a selector in the control plane's root namespace
 * ({@link #ROOT_NAMESPACE}) is the mesh-wide default, one without a selector elsewhere its namespace's;
 * one with a selector picks workloads of its namespace and may set a mode per port.
 *
 * @param selector {@code spec.selector.matchLabels}; empty for a namespace or mesh default
 * @param mode {@code spec.mtls.mode}; {@link Mode#UNSET} inherits from the namespace, then the mesh
 * @param portModes {@code spec.portLevelMtls}: workload port → mode (only with a selector)
 */
public record PeerAuthentication(ObjectRef ref, Map<String, String> selector, Mode mode, Map<Integer, Mode> portModes) {

    /** The namespace whose selector-less PeerAuthentication applies to the whole mesh (Istio's root namespace). */
    public static final String ROOT_NAMESPACE = "meshwork-system";

    /** Istio's modes; what applies when nothing says otherwise is {@link #PERMISSIVE}. */
    public enum Mode {
        /** Inherit from the next broader policy. */
        UNSET,
        /** Mutual TLS only: a connection without a mesh client certificate is refused. */
        STRICT,
        /** Mutual TLS and plaintext, told apart by the first bytes (as Envoy's TLS inspector does). */
        PERMISSIVE,
        /** Plaintext only. */
        DISABLE
    }

    public PeerAuthentication {
        selector = Map.copyOf(selector);
        portModes = Map.copyOf(portModes);
    }

    public boolean isMeshDefault() {
        return selector.isEmpty() && ref.namespace().equals(ROOT_NAMESPACE);
    }

    public boolean isNamespaceDefault() {
        return selector.isEmpty() && !ref.namespace().equals(ROOT_NAMESPACE);
    }

    /** Whether this policy's selector picks {@code workload} (a default picks by namespace, not here). */
    public boolean selects(Workload workload) {
        return !selector.isEmpty() && workload.ref().namespace().equals(ref.namespace())
                && workload.labels().entrySet().containsAll(selector.entrySet());
    }
}
