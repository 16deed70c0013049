package io.meshwork.proxy.endpoint;

import io.meshwork.proxy.tls.UpstreamTls;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One upstream endpoint of a cluster, with the workload labels that metrics report.
 *
 * @param socketMatch its {@code envoy.transport_socket_match} metadata, which picks the cluster's transport socket
 * @param tls the mutual TLS to use toward it (from the transport socket picked), null for plaintext
 */
public record EndpointConfig(String host, int port, boolean healthy, String workload, String namespace,
                             String version, Map<String, String> socketMatch, UpstreamTls tls) {

    public EndpointConfig {
        socketMatch = Map.copyOf(socketMatch);
    }

    /** A plaintext endpoint. */
    public EndpointConfig(String host, int port, boolean healthy, String workload, String namespace, String version) {
        this(host, port, healthy, workload, namespace, version, Map.of(), null);
    }

    public EndpointConfig withTls(UpstreamTls newTls) {
        return new EndpointConfig(host, port, healthy, workload, namespace, version, socketMatch, newTls);
    }

    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The pool key: connections are shared by every cluster that names this address. */
    public String hostPort() {
        return host + ":" + port;
    }
}
