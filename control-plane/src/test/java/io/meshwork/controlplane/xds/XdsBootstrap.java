package io.meshwork.controlplane.xds;

/**
 * grpc-xds's bootstrap for tests: a proxyless client that talks to an xDS server on loopback. grpc-xds
 * reads it once per JVM, so each test class that uses it runs in a JVM of its own (the *InteropTest
 * surefire execution).
 */
public final class XdsBootstrap {

    private XdsBootstrap() {
    }

    /** Points every later {@code xds:///} channel of this JVM at 127.0.0.1:{@code xdsPort} as node {@code nodeId}. */
    public static void proxylessClient(int xdsPort, String nodeId, String namespace) {
        // No MESH_PROXY_TYPE: the control plane treats the node as a proxyless gRPC client (ARCHITECTURE.md).
        System.setProperty("io.grpc.xds.bootstrapConfig", """
                {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                  "server_features": ["xds_v3"]}],
                 "node": {"id": "%s", "metadata": {"MESH_NAMESPACE": "%s"}}}
                """.formatted(xdsPort, nodeId, namespace));
    }
}
