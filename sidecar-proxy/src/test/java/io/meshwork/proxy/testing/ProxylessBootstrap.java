package io.meshwork.proxy.testing;

import io.meshwork.controlplane.translate.MutualTls;
import io.meshwork.controlplane.translate.ResourceNames;
import java.nio.file.Path;

/**
 * grpc-java's xDS bootstrap for a proxyless gRPC client or server of namespace {@code default}, as
 * README.md's mTLS section gives it: Meshwork's xDS server, the certificate provider the control plane
 * names ({@code file_watcher} over PEM files that {@link TestIdentities#write} wrote) and the server
 * Listener name template. grpc-xds reads it once per JVM, so each test class using it runs in its own
 * (the *InteropTest surefire execution).
 */
public final class ProxylessBootstrap {

    private ProxylessBootstrap() {
    }

    /**
     * Points every later xDS channel and XdsServer of this JVM at 127.0.0.1:{@code xdsPort} as the process of
     * Workload {@code workload}, whose server Listeners it gets (a client alone may leave MESH_WORKLOAD out).
     */
    public static void install(int xdsPort, String workload, Path identity) {
        // No MESH_PROXY_TYPE: the control plane treats the node as proxyless (ARCHITECTURE.md).
        System.setProperty("io.grpc.xds.bootstrapConfig", """
                {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                  "server_features": ["xds_v3"]}],
                 "node": {"id": "proxyless~%s", "metadata": {"MESH_NAMESPACE": "default", "MESH_WORKLOAD": "%s"}},
                 "certificate_providers": {"%s": {"plugin_name": "file_watcher", "config": {
                     "certificate_file": "%s", "private_key_file": "%s", "ca_certificate_file": "%s",
                     "refresh_interval": "1s"}}},
                 "server_listener_resource_name_template": "%s"}
                """.formatted(xdsPort, workload, workload, MutualTls.PROXYLESS_PROVIDER, identity.resolve("chain.pem"),
                identity.resolve("key.pem"), identity.resolve("root.pem"),
                ResourceNames.PROXYLESS_SERVER_LISTENER_TEMPLATE));
    }
}
