package io.meshwork.proxy.route;

import java.util.List;

/** A RouteConfiguration: virtual hosts chosen by authority, each with ordered routes. */
public record RouteTable(String name, List<VirtualHost> virtualHosts) {

    public RouteTable {
        virtualHosts = List.copyOf(virtualHosts);
    }
}
