package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.MeshSnapshot;

/**
 * Translates the mesh model into the Envoy v3 resources of one proxy: a pure function, no I/O.
 * A sidecar whose workload is not (yet) in the snapshot still gets its outbound config. To
 * translate many proxies of one snapshot, {@link #forSnapshot} shares the work they have in common.
 */
public final class Translator {

    private Translator() {
    }

    public static ProxyResources translate(MeshSnapshot snapshot, ProxyNode proxy) {
        return forSnapshot(snapshot).translate(proxy);
    }

    /** A memo for translating many proxies of {@code snapshot}; each result equals {@link #translate}'s. */
    public static TranslationCache forSnapshot(MeshSnapshot snapshot) {
        return new TranslationCache(snapshot);
    }
}
