package io.meshwork.proxy.listener;

import io.meshwork.proxy.route.RouteTable;
import java.util.List;
import java.util.Optional;

/** A listener: where it binds and its filter chains, picked by the original destination port. */
public record ListenerConfig(String name, String host, int port, List<FilterChain> filterChains) {

    public ListenerConfig {
        filterChains = List.copyOf(filterChains);
    }

    /** The chain for a destination port: the one that matches it, else the one without a match. */
    public Optional<FilterChain> chainFor(int destinationPort) {
        FilterChain fallback = null;
        for (FilterChain chain : filterChains) {
            if (chain.destinationPort() == null) {
                fallback = chain;
            } else if (chain.destinationPort() == destinationPort) {
                return Optional.of(chain);
            }
        }
        return Optional.ofNullable(fallback);
    }

    /** A filter chain; {@code destinationPort} null means "any port". */
    public record FilterChain(Integer destinationPort, NetworkFilter filter) {
    }

    /** The one terminal network filter of a chain. */
    public sealed interface NetworkFilter permits HttpFilter, TcpProxy {
    }

    /** HTTP connection manager: routes from RDS ({@code rdsName}) or inline ({@code inlineRoutes}). */
    public record HttpFilter(String rdsName, RouteTable inlineRoutes) implements NetworkFilter {
    }

    /** Plain TCP proxy to one cluster. */
    public record TcpProxy(String cluster) implements NetworkFilter {
    }
}
