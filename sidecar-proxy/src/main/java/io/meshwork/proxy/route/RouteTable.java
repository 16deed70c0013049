package io.meshwork.proxy.route;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A RouteConfiguration: virtual hosts chosen by authority, each with ordered routes. Every domain
 * (lower case, {@code *} included) is indexed to the first virtual host naming it, so choosing the
 * virtual host is a map lookup however many services the mesh has.
 */
public final class RouteTable {

    private final String name;
    private final List<VirtualHost> virtualHosts;
    /** Derived from {@link #virtualHosts}, so not part of equality. */
    private final Map<String, VirtualHost> byDomain;
    /** Whether some domain is a {@code *.} suffix (a gateway's): only then are suffixes looked up. */
    private final boolean suffixWildcards;

    public RouteTable(String name, List<VirtualHost> virtualHosts) {
        this.name = name;
        this.virtualHosts = List.copyOf(virtualHosts);
        Map<String, VirtualHost> index = new HashMap<>();
        for (VirtualHost vhost : this.virtualHosts) {
            for (String domain : vhost.domains()) {
                index.putIfAbsent(domain.toLowerCase(Locale.ROOT), vhost);
            }
        }
        this.byDomain = Map.copyOf(index);
        this.suffixWildcards = index.keySet().stream().anyMatch(domain -> domain.startsWith("*."));
    }

    public boolean hasSuffixWildcards() {
        return suffixWildcards;
    }

    public String name() {
        return name;
    }

    public List<VirtualHost> virtualHosts() {
        return virtualHosts;
    }

    /** The first virtual host naming this lower-case domain ({@code *} for the wildcard), or null. */
    public VirtualHost forDomain(String domain) {
        return byDomain.get(domain);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RouteTable table && name.equals(table.name) && virtualHosts.equals(table.virtualHosts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, virtualHosts);
    }

    @Override
    public String toString() {
        return "RouteTable[name=" + name + ", virtualHosts=" + virtualHosts + "]";
    }
}
