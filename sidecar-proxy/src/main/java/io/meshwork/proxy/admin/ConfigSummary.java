package io.meshwork.proxy.admin;

import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.cluster.OutlierDetector;
import io.meshwork.proxy.cluster.RetryLimit;
import io.meshwork.proxy.cluster.Thresholds;
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

/**
 * {@code /config_summary}: the config in effect as the sidecar reads it, in a short JSON that {@code mesh proxy-config}
 * turns into tables: each listener with the address it is bound to, routes, clusters with their endpoints. The full
 * config, as it came over xDS, is {@code /config_dump} ({@link EnvoyConfigDump}).
 */
public final class ConfigSummary {

    private ConfigSummary() {
    }

    /** {@code boundAt}: where a listener is bound on this host (its port from the flags, or its own address), or null. */
    public static String json(ProxyConfig config, java.util.function.Function<String, String> boundAt) {
        return json(config, boundAt, Map.of());
    }

    /** {@code outliers}: the outlier detectors by cluster name, so that ejected endpoints show with the time they have left. */
    public static String json(ProxyConfig config, java.util.function.Function<String, String> boundAt,
                              Map<String, OutlierDetector> outliers) {
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
            String bound = boundAt.apply(listener.name());
            listeners.add(map("name", listener.name(), "address", listener.host() + ":" + listener.port(),
                    "bound", bound == null ? "not bound" : bound, "filter_chains", chains));
        }
        dump.put("listeners", listeners);
        dump.put("routes", config.routes().values().stream().map(ConfigSummary::routes).toList());
        List<Object> clusters = new ArrayList<>();
        for (ClusterConfig cluster : config.clusters().values()) {
            List<Object> endpoints = new ArrayList<>();
            OutlierDetector detector = outliers.get(cluster.name());
            for (EndpointConfig endpoint : cluster.endpoints()) {
                OutlierDetector.Host host = detector == null ? null : detector.hostAt(endpoint.hostPort());
                long ejectedMs = host == null ? 0 : host.ejectedForNanos() / 1_000_000;
                endpoints.add(map("address", endpoint.hostPort(), "healthy", endpoint.healthy(),
                        "workload", endpoint.workload(), "version", endpoint.version(), "locality", endpoint.locality(),
                        "mesh_cluster", endpoint.meshCluster(), "ejected_ms", ejectedMs));
            }
            clusters.add(map("name", cluster.name(), "service", cluster.service(), "lb_policy", cluster.lbPolicy(),
                    "connect_timeout_ms", cluster.connectTimeout().toMillis(), "http2", cluster.http2(),
                    "circuit_breakers", thresholds(cluster.thresholds()),
                    "outlier_detection", cluster.outlierDetection() != null, "endpoints", endpoints));
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

    /** The limits in effect, Envoy's field names; the retries' as a budget when there is one. */
    private static Object thresholds(Thresholds thresholds) {
        RetryLimit retries = thresholds.retries();
        return map("max_connections", thresholds.maxConnections(), "max_pending_requests",
                thresholds.maxPendingRequests(), "max_requests", thresholds.maxRequests(), "max_retries",
                retries.hasBudget() ? "budget " + new java.math.BigDecimal(Double.toString(retries.budgetPercent()))
                        .stripTrailingZeros().toPlainString() + "% (min " + retries.minConcurrency() + ")"
                        : Integer.toString(retries.maxRetries()));
    }

    private static Map<String, Object> map(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
