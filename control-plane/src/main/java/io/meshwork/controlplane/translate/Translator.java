package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.MeshSnapshot;

/**
 * Translates the mesh model into the Envoy v3 resources of one proxy: a pure function, no I/O.
 * A sidecar whose workload is not (yet) in the snapshot still gets its outbound config.
 */
public final class Translator {

    private Translator() {
    }

    public static ProxyResources translate(MeshSnapshot snapshot, ProxyNode proxy) {
        return ProxyResources.of(
                new ClusterBuilder(snapshot, proxy).build(),
                new EndpointBuilder(snapshot).build(),
                new ListenerBuilder(snapshot, proxy).build(),
                new RouteBuilder(snapshot, proxy).build());
    }
}
