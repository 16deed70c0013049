package io.meshwork.proxy.endpoint;

import java.net.InetSocketAddress;

/** One upstream endpoint of a cluster, with the workload labels that metrics report. */
public record EndpointConfig(String host, int port, boolean healthy, String workload, String namespace,
                             String version) {

    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The pool key: connections are shared by every cluster that names this address. */
    public String hostPort() {
        return host + ":" + port;
    }
}
