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

    /** Whether some chain names TLS server names (SNI): then a TLS connection's chain waits for its ClientHello. */
    public boolean usesServerNames() {
        return filterChains.stream().anyMatch(chain -> !chain.serverNames().isEmpty());
    }

    /**
     * The chain for a TLS connection to {@code destinationPort} asking for {@code serverName} (SNI, null when it named
     * none), as Envoy picks it: the port first, then a chain naming that server name, else the one of the longest
     * {@code *.} suffix that matches, else one that names none (no such chain: the connection is refused).
     */
    public Optional<FilterChain> chainFor(int destinationPort, String transportProtocol, String serverName) {
        String name = serverName == null ? null : serverName.toLowerCase(java.util.Locale.ROOT);
        FilterChain best = null;
        int bestScore = -1;
        for (FilterChain chain : filterChains) {
            boolean portOk = chain.destinationPort() == null || chain.destinationPort() == destinationPort;
            boolean transportOk = chain.transportProtocol() == null || chain.transportProtocol().equals(transportProtocol);
            int nameScore = chain.serverNames().isEmpty() ? 0 : serverNameScore(chain.serverNames(), name);
            if (!portOk || !transportOk || nameScore < 0) {
                continue;
            }
            int score = (chain.destinationPort() == null ? 0 : 1 << 20) + (nameScore << 1)
                    + (chain.transportProtocol() == null ? 0 : 1);
            if (score > bestScore) {
                best = chain;
                bestScore = score;
            }
        }
        return Optional.ofNullable(best);
    }

    /** How well {@code names} match {@code name}: exact beats a longer {@code *.} suffix beats a shorter; -1 for none. */
    private static int serverNameScore(List<String> names, String name) {
        int best = -1;
        for (String candidate : names) {
            if (name == null) {
                continue;
            }
            if (candidate.equals(name)) {
                return 1 << 16;
            }
            if (candidate.startsWith("*.") && name.endsWith(candidate.substring(1))
                    && name.length() > candidate.length() - 1) {
                best = Math.max(best, candidate.length());
            }
        }
        return best;
    }

    /**
     * A filter chain; {@code destinationPort} and {@code transportProtocol} null mean "any";
     * {@code tls} non-null terminates TLS before the filter; {@code networkRbac} non-null decides on the
     * connection by its peer identity (Envoy's network RBAC filter); {@code serverNames} (SNI, exact or {@code *.}
     * suffixes) empty means any.
     */
    public record FilterChain(Integer destinationPort, String transportProtocol, DownstreamTls tls, Rbac networkRbac,
                              NetworkFilter filter, List<String> serverNames) {

        public FilterChain {
            serverNames = List.copyOf(serverNames);
        }

        /** A chain for any server name. */
        public FilterChain(Integer destinationPort, String transportProtocol, DownstreamTls tls, Rbac networkRbac,
                           NetworkFilter filter) {
            this(destinationPort, transportProtocol, tls, networkRbac, filter, List.of());
        }

        /** A plaintext chain for any transport. */
        public FilterChain(Integer destinationPort, NetworkFilter filter) {
            this(destinationPort, null, null, null, filter);
        }

        public FilterChain withServerNames(List<String> names) {
            return new FilterChain(destinationPort, transportProtocol, tls, networkRbac, filter,
                    names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList());
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
