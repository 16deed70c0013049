package io.meshwork.proxy.testing;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Builds Envoy resources shaped exactly like ARCHITECTURE.md's xDS contract, standing in for the
 * control plane's translator in these tests. All resource building lives here, so the e2e tests
 * can later switch to the real translator by replacing this one class.
 */
public final class MeshResources {

    /** One backend instance of a service: where it listens and the labels EDS carries. */
    public record Backend(String host, int port, String workload, String version, boolean healthy) {
        public static Backend of(int port, String workload, String version) {
            return new Backend("127.0.0.1", port, workload, version, true);
        }
    }

    private final Map<String, Cluster> clusters = new LinkedHashMap<>();
    private final Map<String, ClusterLoadAssignment> assignments = new LinkedHashMap<>();
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    private UnaryOperator<HttpConnectionManager.Builder> outboundTimeouts = hcm -> hcm;
    private long outboundMaxConnections;
    private final List<VirtualHost> outboundHosts = new ArrayList<>();
    private final Map<Integer, String> tcpPorts = new LinkedHashMap<>();
    private final String namespace;

    public MeshResources(String namespace) {
        this.namespace = namespace;
    }

    public static String clusterName(String service, String ns, int port) {
        return "outbound|" + port + "||" + service + "." + ns + ".svc.cluster.local";
    }

    /** A service port with its endpoints: the cluster and its ClusterLoadAssignment. */
    public MeshResources service(String service, int port, String protocol, List<Backend> backends) {
        String name = clusterName(service, namespace, port);
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(ads()).setServiceName(name))
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setMetadata(meta(Map.of("service", service, "namespace", namespace, "port", String.valueOf(port),
                        "protocol", protocol)));
        if (protocol.equals("http2") || protocol.equals("grpc")) {
            cluster.putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                    Any.pack(HttpProtocolOptions.newBuilder().setExplicitHttpConfig(
                            HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())).build()));
        }
        clusters.put(name, cluster.build());
        endpoints(service, port, backends);
        if (protocol.equals("tcp")) {
            tcpPorts.put(port, name);
        }
        return this;
    }

    /**
     * The HTTP protocol options of a service port's cluster ({@code envoy.extensions.upstreams.http.v3.HttpProtocolOptions}:
     * idle timeout, HTTP/2 keepalive), as {@code options} makes them from the ones it has.
     */
    public MeshResources protocolOptions(String service, int port, UnaryOperator<HttpProtocolOptions.Builder> options) {
        String name = clusterName(service, namespace, port);
        Cluster cluster = clusters.get(name);
        Any current = cluster.getTypedExtensionProtocolOptionsMap().get(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
        HttpProtocolOptions.Builder builder;
        try {
            builder = current == null ? HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HttpProtocolOptions
                    .ExplicitHttpConfig.newBuilder().setHttpProtocolOptions(
                            io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.getDefaultInstance()))
                    : current.unpack(HttpProtocolOptions.class).toBuilder();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        clusters.put(name, cluster.toBuilder().putTypedExtensionProtocolOptions(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Any.pack(options.apply(builder).build())).build());
        return this;
    }

    /** A protobuf Duration of {@code millis} milliseconds. */
    public static com.google.protobuf.Duration millis(long millis) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(millis / 1000)
                .setNanos((int) (millis % 1000) * 1_000_000).build();
    }

    /** Replaces the endpoints of a service port. */
    public MeshResources endpoints(String service, int port, List<Backend> backends) {
        String name = clusterName(service, namespace, port);
        LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
                .setLoadBalancingWeight(UInt32Value.of(1));
        for (Backend backend : backends) {
            locality.addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder().setAddress(address(backend.host(), backend.port())))
                    .setHealthStatus(backend.healthy() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
                    .setMetadata(meta(Map.of("workload", backend.workload(), "namespace", namespace,
                            "version", backend.version(), "serviceAccount", "default", "meshed", "false"))));
        }
        assignments.put(name, ClusterLoadAssignment.newBuilder().setClusterName(name).addEndpoints(locality).build());
        return this;
    }

    /** The outbound virtual host of a service port, with routes (empty: the service's own cluster). */
    public MeshResources virtualHost(String service, int port, List<Route> routes) {
        String fqdn = service + "." + namespace + ".svc.cluster.local";
        List<String> names = List.of(fqdn, service + "." + namespace + ".svc", service + "." + namespace, service);
        VirtualHost.Builder host = VirtualHost.newBuilder().setName(fqdn + ":" + port);
        for (String domain : names) {
            host.addDomains(domain).addDomains(domain + ":" + port);
        }
        host.addAllRoutes(routes.isEmpty() ? List.of(defaultRoute(clusterName(service, namespace, port))) : routes);
        outboundHosts.removeIf(existing -> existing.getName().equals(host.getName()));
        outboundHosts.add(host.build());
        return this;
    }

    public static Route defaultRoute(String cluster) {
        return Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster(cluster)).build();
    }

    /** The TrafficSplit default route: prefix {@code /} to weighted clusters (weight-0 backends left out). */
    public static Route weightedRoute(RouteMatch match, Map<String, Integer> weights) {
        WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
        weights.forEach((cluster, weight) -> {
            if (weight > 0) {
                weighted.addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(cluster)
                        .setWeight(UInt32Value.of(weight)));
            }
        });
        return Route.newBuilder().setMatch(match).setRoute(RouteAction.newBuilder().setWeightedClusters(weighted))
                .build();
    }

    /** An HTTPRouteGroup match as the translator writes it: path safe_regex, headers safe_regex_match. */
    public static RouteMatch regexMatch(String pathRegex, Map<String, String> headerRegexes) {
        RouteMatch.Builder match = RouteMatch.newBuilder()
                .setSafeRegex(RegexMatcher.newBuilder().setRegex(pathRegex));
        headerRegexes.forEach((name, regex) -> match.addHeaders(HeaderMatcher.newBuilder().setName(name)
                .setSafeRegexMatch(RegexMatcher.newBuilder().setRegex(regex))));
        return match.build();
    }

    /** The same route with a per-route timeout (zero disables it). */
    public static Route withTimeout(Route route, java.time.Duration timeout) {
        return route.toBuilder().setRoute(route.getRoute().toBuilder().setTimeout(com.google.protobuf.Duration
                .newBuilder().setSeconds(timeout.getSeconds()).setNanos(timeout.getNano()))).build();
    }

    public static RouteMatch prefix(String prefix) {
        return RouteMatch.newBuilder().setPrefix(prefix).build();
    }

    /** An inbound listener {@code inbound|<port>} and its static cluster to the app port on loopback. */
    public MeshResources inbound(String host, int port, int appPort, boolean http, boolean http2) {
        String cluster = "inbound|" + appPort + "||";
        Cluster.Builder staticCluster = Cluster.newBuilder().setName(cluster).setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(cluster)
                        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
                                .setEndpoint(Endpoint.newBuilder().setAddress(address("127.0.0.1", appPort))))));
        if (http2) {
            staticCluster.setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance());
        }
        clusters.put(cluster, staticCluster.build());
        Filter filter = http
                ? httpFilter(HttpConnectionManager.newBuilder().setStatPrefix("inbound")
                        .setRouteConfig(RouteConfiguration.newBuilder().setName("inbound|" + port)
                                .addVirtualHosts(VirtualHost.newBuilder().setName("inbound|" + port).addDomains("*")
                                        .addRoutes(defaultRoute(cluster)))))
                : tcpFilter(cluster);
        listeners.put("inbound|" + port, Listener.newBuilder().setName("inbound|" + port)
                .setAddress(address(host, port)).addFilterChains(FilterChain.newBuilder().addFilters(filter)).build());
        // The capture listener (15006) gets the same filters, matched on the original destination port.
        Listener.Builder capture = listeners.containsKey("inbound") ? listeners.get("inbound").toBuilder()
                : Listener.newBuilder().setName("inbound").setAddress(address("0.0.0.0", 15006));
        listeners.put("inbound", capture.addFilterChains(FilterChain.newBuilder()
                .setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(port)))
                .addFilters(filter)).build());
        return this;
    }

    public Snapshot snapshot(String version) {
        return Snapshot.create(clusters.values(), assignments.values(), allListeners(), List.of(outboundRoutes()),
                List.of(), version);
    }

    /** The raw resources, for tests that corrupt one on purpose. */
    public List<Listener> allListeners() {
        List<Listener> all = new ArrayList<>(listeners.values());
        all.add(outboundListener());
        return all;
    }

    public Map<String, Cluster> clusters() {
        return clusters;
    }

    public Map<String, ClusterLoadAssignment> assignments() {
        return assignments;
    }

    public RouteConfiguration outboundRoutes() {
        return RouteConfiguration.newBuilder().setName("outbound").addAllVirtualHosts(outboundHosts).build();
    }

    /**
     * The outbound listener's HTTP connection manager gets {@code timeouts} (request_headers_timeout and
     * the others), and every outbound chain a connection_limit of {@code maxConnections} (0: none).
     */
    public MeshResources outboundBounds(UnaryOperator<HttpConnectionManager.Builder> timeouts,
                                        long maxConnections) {
        this.outboundTimeouts = timeouts;
        this.outboundMaxConnections = maxConnections;
        return this;
    }

    private Listener outboundListener() {
        Listener.Builder listener = Listener.newBuilder().setName("outbound").setAddress(address("0.0.0.0", 15001));
        tcpPorts.forEach((port, cluster) -> listener.addFilterChains(limited(FilterChain.newBuilder()
                .setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(port))))
                .addFilters(tcpFilter(cluster))));
        listener.addFilterChains(limited(FilterChain.newBuilder()).addFilters(httpFilter(outboundTimeouts.apply(
                HttpConnectionManager.newBuilder()
                        .setStatPrefix("outbound")
                        .setRds(Rds.newBuilder().setRouteConfigName("outbound").setConfigSource(ads()))))));
        return listener.build();
    }

    private FilterChain.Builder limited(FilterChain.Builder chain) {
        if (outboundMaxConnections > 0) {
            chain.addFilters(Filter.newBuilder().setName("envoy.filters.network.connection_limit").setTypedConfig(
                    Any.pack(io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit
                            .newBuilder().setStatPrefix("outbound")
                            .setMaxConnections(com.google.protobuf.UInt64Value.of(outboundMaxConnections)).build())));
        }
        return chain;
    }

    private static Filter httpFilter(HttpConnectionManager.Builder hcm) {
        hcm.addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
                .setTypedConfig(Any.pack(Router.getDefaultInstance())));
        return Filter.newBuilder().setName("envoy.filters.network.http_connection_manager")
                .setTypedConfig(Any.pack(hcm.build())).build();
    }

    private static Filter tcpFilter(String cluster) {
        return Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build()))
                .build();
    }

    private static ConfigSource ads() {
        return ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance()).build();
    }

    private static Address address(String host, int port) {
        return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
                .build();
    }

    private static Metadata meta(Map<String, String> values) {
        Struct.Builder struct = Struct.newBuilder();
        values.forEach((key, value) -> struct.putFields(key, Value.newBuilder().setStringValue(value).build()));
        return Metadata.newBuilder().putFilterMetadata("meshwork.io", struct.build()).build();
    }
}
