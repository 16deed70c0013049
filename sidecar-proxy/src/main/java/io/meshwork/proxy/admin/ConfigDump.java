package io.meshwork.proxy.admin;

import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.route.VirtualHost;
import io.meshwork.proxy.xds.ProxyConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /config_dump}: the config in effect as JSON, with the accepted version of each type. */
public final class ConfigDump {

    private ConfigDump() {
    }

    public static String json(ProxyConfig config) {
        Map<String, Object> dump = new LinkedHashMap<>();
        dump.put("versions", config.versions());
        List<Object> listeners = new ArrayList<>();
        for (ListenerConfig listener : config.listeners().values()) {
            List<Object> chains = new ArrayList<>();
            for (ListenerConfig.FilterChain chain : listener.filterChains()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("destination_port", chain.destinationPort());
                if (chain.filter() instanceof ListenerConfig.TcpProxy tcp) {
                    entry.put("tcp_proxy", tcp.cluster());
                } else if (chain.filter() instanceof ListenerConfig.HttpFilter http) {
                    entry.put("http", http.rdsName() != null ? Map.of("rds", http.rdsName())
                            : Map.of("route_config", routes(http.inlineRoutes())));
                }
                chains.add(entry);
            }
            listeners.add(map("name", listener.name(), "address", listener.host() + ":" + listener.port(),
                    "filter_chains", chains));
        }
        dump.put("listeners", listeners);
        dump.put("routes", config.routes().values().stream().map(ConfigDump::routes).toList());
        List<Object> clusters = new ArrayList<>();
        for (ClusterConfig cluster : config.clusters().values()) {
            List<Object> endpoints = new ArrayList<>();
            for (EndpointConfig endpoint : cluster.endpoints()) {
                endpoints.add(map("address", endpoint.hostPort(), "healthy", endpoint.healthy(),
                        "workload", endpoint.workload(), "version", endpoint.version()));
            }
            clusters.add(map("name", cluster.name(), "service", cluster.service(), "lb_policy", cluster.lbPolicy(),
                    "connect_timeout_ms", cluster.connectTimeout().toMillis(), "http2", cluster.http2(),
                    "endpoints", endpoints));
        }
        dump.put("clusters", clusters);
        return Json.write(dump);
    }

    private static Object routes(RouteTable table) {
        List<Object> hosts = new ArrayList<>();
        for (VirtualHost vhost : table.virtualHosts()) {
            List<Object> routes = new ArrayList<>();
            for (Route route : vhost.routes()) {
                Map<String, Object> clusters = new LinkedHashMap<>();
                route.clusters().forEach(c -> clusters.put(c.cluster(), c.weight()));
                routes.add(map("match", route.match().pathKind() + " " + (route.match().path() != null
                                ? route.match().path() : route.match().pathRegex().pattern()),
                        "headers", route.match().headers().size(), "clusters", clusters,
                        "timeout_ms", route.timeout().toMillis()));
            }
            hosts.add(map("name", vhost.name(), "domains", vhost.domains(), "routes", routes));
        }
        return map("name", table.name(), "virtual_hosts", hosts);
    }

    private static Map<String, Object> map(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
