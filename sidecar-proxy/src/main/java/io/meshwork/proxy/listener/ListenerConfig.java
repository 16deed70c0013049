package io.meshwork.proxy.listener;

import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.filter.HttpFilterChain;
import io.meshwork.proxy.filter.rbac.Rbac;
import io.meshwork.proxy.tls.DownstreamTls;
import java.util.List;
import java.util.Optional;

/**
 * A listener: where it binds and its filter chains, picked by the original destination port and, with
 * the TLS inspector ({@code tlsInspector}), by whether the connection starts with a TLS handshake.
 */
public record ListenerConfig(String name, String host, int port, List<FilterChain> filterChains, boolean tlsInspector,
                             ConnectionPolicy connections) {

    /** What Envoy's TLS inspector calls a TLS connection, and one that is not. */
    public static final String TLS = "tls";
    public static final String RAW_BUFFER = "raw_buffer";

    public ListenerConfig {
        filterChains = List.copyOf(filterChains);
    }

    /** A listener without the TLS inspector. */
    public ListenerConfig(String name, String host, int port, List<FilterChain> filterChains) {
        this(name, host, port, filterChains, false);
    }

    /** A listener with Envoy's default timeouts and no connection limit. */
    public ListenerConfig(String name, String host, int port, List<FilterChain> filterChains, boolean tlsInspector) {
        this(name, host, port, filterChains, tlsInspector, ConnectionPolicy.ENVOY_DEFAULTS);
    }

    /** The chain for a destination port, for any transport (listeners without the TLS inspector). */
    public Optional<FilterChain> chainFor(int destinationPort) {
        return chainFor(destinationPort, RAW_BUFFER);
    }

    /**
     * The chain for a destination port and transport protocol, as Envoy picks it: a chain that names
     * the port beats one that names none, and among those a chain that names the transport protocol
     * beats one that names none.
     */
    public Optional<FilterChain> chainFor(int destinationPort, String transportProtocol) {
        FilterChain best = null;
        int bestScore = -1;
        for (FilterChain chain : filterChains) {
            boolean portOk = chain.destinationPort() == null || chain.destinationPort() == destinationPort;
            boolean transportOk = chain.transportProtocol() == null || chain.transportProtocol().equals(transportProtocol);
            if (!portOk || !transportOk) {
                continue;
            }
            int score = (chain.destinationPort() == null ? 0 : 2) + (chain.transportProtocol() == null ? 0 : 1);
            if (score > bestScore) {
                best = chain;
                bestScore = score;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * A filter chain; {@code destinationPort} and {@code transportProtocol} null mean "any";
     * {@code tls} non-null terminates mutual TLS before the filter; {@code networkRbac} non-null decides on the
     * connection by its peer identity (Envoy's network RBAC filter).
     */
    public record FilterChain(Integer destinationPort, String transportProtocol, DownstreamTls tls, Rbac networkRbac,
                              NetworkFilter filter) {

        /** A plaintext chain for any transport. */
        public FilterChain(Integer destinationPort, NetworkFilter filter) {
            this(destinationPort, null, null, null, filter);
        }
    }

    /** The one terminal network filter of a chain. */
    public sealed interface NetworkFilter permits HttpFilter, TcpProxy {
    }

    /**
     * HTTP connection manager: routes from RDS ({@code rdsName}) or inline ({@code inlineRoutes}), and the
     * HTTP filters before its router.
     */
    public record HttpFilter(String rdsName, RouteTable inlineRoutes, HttpFilterChain filters) implements NetworkFilter {
    }

    /** Plain TCP proxy to one cluster. */
    public record TcpProxy(String cluster) implements NetworkFilter {
    }
}
