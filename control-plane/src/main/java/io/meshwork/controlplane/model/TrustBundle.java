package io.meshwork.controlplane.model;

import java.util.List;

/**
 * What sidecars trust and in whose name: the mesh's trust domain and the root certificates (PEM) that
 * peer certificates must chain to. During a root rotation it holds the old and the new root. Comes
 * from the control plane's CA, not from config; {@link #NONE} when there is no CA, and then no
 * connection uses TLS.
 */
public record TrustBundle(String trustDomain, List<String> rootsPem) {

    public static final TrustBundle NONE = new TrustBundle("", List.of());

    public TrustBundle {
        rootsPem = List.copyOf(rootsPem);
    }

    public boolean enabled() {
        return !rootsPem.isEmpty();
    }

    /** The SPIFFE ID of a service account of {@code namespace}, as workload certificates carry it. */
    public String spiffeId(String namespace, String serviceAccount) {
        return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    /** The roots as one PEM bundle, as Envoy's {@code trusted_ca} takes them. */
    public String pemBundle() {
        StringBuilder bundle = new StringBuilder();
        for (String pem : rootsPem) {
            bundle.append(pem.strip()).append('\n');
        }
        return bundle.toString();
    }
}
