package io.meshwork.proxy.endpoint;

import io.meshwork.proxy.tls.UpstreamTls;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One upstream endpoint of a cluster, with the workload labels that metrics report.
 *
 * @param socketMatch its {@code envoy.transport_socket_match} metadata, which picks the cluster's transport socket
 * @param tls the mutual TLS to use toward it (from the transport socket picked), null for plaintext
 * @param locality {@code region/zone} of its locality, empty when unknown
 * @param meshCluster the Kubernetes cluster it runs in (multi-cluster), empty when the mesh has one
 * @param priority its locality's priority (0 first; higher levels take traffic as the lower ones lose health)
 */
public record EndpointConfig(String host, int port, boolean healthy, String workload, String namespace,
                             String version, Map<String, String> socketMatch, UpstreamTls tls, String locality,
                             String meshCluster, int priority) {

    public EndpointConfig {
        socketMatch = Map.copyOf(socketMatch);
        locality = locality == null ? "" : locality;
        meshCluster = meshCluster == null ? "" : meshCluster;
    }

    /** A plaintext endpoint. */
    public EndpointConfig(String host, int port, boolean healthy, String workload, String namespace, String version) {
        this(host, port, healthy, workload, namespace, version, Map.of(), null, "", "", 0);
    }

    /** This endpoint at priority {@code level}. */
    public EndpointConfig withPriority(int level) {
        return new EndpointConfig(host, port, healthy, workload, namespace, version, socketMatch, tls, locality,
                meshCluster, level);
    }

    public EndpointConfig withTls(UpstreamTls newTls) {
        return new EndpointConfig(host, port, healthy, workload, namespace, version, socketMatch, newTls, locality,
                meshCluster, priority);
    }

    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The pool key: connections are shared by every cluster that names this address. */
    public String hostPort() {
        return host + ":" + port;
    }
}
