package io.meshwork.proxy.route;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A RouteConfiguration: virtual hosts chosen by authority, each with ordered routes. {@code byDomain}
 * indexes every domain (lower case, {@code *} included) to the first virtual host naming it, so
 * choosing the virtual host is a map lookup however many services the mesh has.
 */
public record RouteTable(String name, List<VirtualHost> virtualHosts, Map<String, VirtualHost> byDomain) {

    public RouteTable {
        virtualHosts = List.copyOf(virtualHosts);
        byDomain = Map.copyOf(byDomain);
    }

    public RouteTable(String name, List<VirtualHost> virtualHosts) {
        this(name, virtualHosts, index(virtualHosts));
    }

    private static Map<String, VirtualHost> index(List<VirtualHost> virtualHosts) {
        Map<String, VirtualHost> byDomain = new HashMap<>();
        for (VirtualHost vhost : virtualHosts) {
            for (String domain : vhost.domains()) {
                byDomain.putIfAbsent(domain.toLowerCase(Locale.ROOT), vhost);
            }
        }
        return byDomain;
    }
}
