package io.meshwork.proxy.listener;

import io.meshwork.proxy.xds.ProxyConfig;
import java.util.Optional;

/**
 * Which HTTP connection manager a connection's requests go through: the filter chain it was accepted
 * on, found again in each new config (by listener, destination port and transport protocol), so that
 * a changed authorization policy or inline route applies to the next request of a kept-alive
 * connection, not only to new connections. A chain that a new config no longer has keeps serving the
 * connection with its last settings, and the connection is closed after the response in progress
 * (as Envoy drains connections of a removed filter chain).
 */
public final class HttpChainBinding {

    private final String listener;
    private final int destinationPort;
    private final String transportProtocol;
    private volatile ProxyConfig resolvedFor;
    private volatile ListenerConfig.HttpFilter current;
    private volatile boolean removed;

    public HttpChainBinding(String listener, int destinationPort, String transportProtocol,
                            ListenerConfig.HttpFilter accepted, ProxyConfig acceptedWith) {
        this.listener = listener;
        this.destinationPort = destinationPort;
        this.transportProtocol = transportProtocol;
        this.current = accepted;
        this.resolvedFor = acceptedWith;
    }

    /** A binding that never changes (a connection manager given directly, as in tests). */
    public static HttpChainBinding fixed(ListenerConfig.HttpFilter filter) {
        return new HttpChainBinding(null, 0, ListenerConfig.RAW_BUFFER, filter, null);
    }

    /** The connection manager for a request arriving while {@code config} is current. */
    public ListenerConfig.HttpFilter resolve(ProxyConfig config) {
        if (listener == null || config == resolvedFor) {
            return current;
        }
        ListenerConfig listenerConfig = config.listeners().get(listener);
        Optional<ListenerConfig.FilterChain> chain = listenerConfig == null ? Optional.empty()
                : listenerConfig.chainFor(destinationPort, transportProtocol);
        if (chain.isPresent() && chain.get().filter() instanceof ListenerConfig.HttpFilter http) {
            current = http;
        } else {
            removed = true;
        }
        resolvedFor = config;
        return current;
    }

    /** Whether the chain is gone from the config: the connection should close after its response. */
    public boolean removed() {
        return removed;
    }
}
