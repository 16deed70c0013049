package io.meshwork.proxy.route;

import java.util.List;

/** A virtual host: the authorities it answers ({@code *} for any) and its routes in order. */
public record VirtualHost(String name, List<String> domains, List<Route> routes) {

    public VirtualHost {
        domains = List.copyOf(domains);
        routes = List.copyOf(routes);
    }
}
