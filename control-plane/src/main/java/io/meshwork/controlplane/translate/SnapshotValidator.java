package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Checks that the resources of one proxy group hold together before they are served: references
 * resolve, weights add up, names are unique, addresses are valid. Reports every problem found, each
 * naming the resource and the field; an empty list means the set may be sent.
 */
public final class SnapshotValidator {

    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    private final ProxyResources resources;
    private final Set<String> clusterNames = new HashSet<>();
    private final Set<String> routeConfigNames = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    private final Memo memo;
    /** While a memoized check runs: its problems and its cluster references, in order, instead of {@link #problems}. */
    private List<Object> recording;

    private SnapshotValidator(ProxyResources resources, Memo memo) {
        this.resources = resources;
        this.memo = memo;
    }

    /** Every problem of {@code resources}; empty when they are consistent. */
    public static List<String> validate(ProxyResources resources) {
        return validate(resources, null);
    }

    /**
     * As {@link #validate(ProxyResources)}, with the checks of each ClusterLoadAssignment and
     * RouteConfiguration that depend on that resource alone taken from {@code memo} when it has seen the
     * same resource (groups of one mesh snapshot share most of theirs), so that they run once, not
     * once per group. The result is the same, in the same order.
     */
    public static List<String> validate(ProxyResources resources, Memo memo) {
        SnapshotValidator validator = new SnapshotValidator(resources, memo);
        validator.run();
        return List.copyOf(validator.problems);
    }

    /**
     * What the per-resource checks found, per resource instance (by identity: hashing or comparing
     * large resources by content would cost about what the checks do). It holds its resources, so
     * keep one per set of resources that groups share, e.g. per {@link TranslationCache}. Safe to
     * share between threads.
     */
    public static final class Memo {
        private final Map<Message, List<Object>> checks = Collections.synchronizedMap(new IdentityHashMap<>());
    }

    /** A cluster reference met in a memoized check: it depends on the group's clusters, so it is checked per group. */
    private record ClusterReference(String where, String cluster) {
    }

    private void memoized(Message resource, Runnable check) {
        if (memo == null || recording != null) {
            check.run();
            return;
        }
        List<Object> items = memo.checks.get(resource);
        if (items == null) {
            recording = new ArrayList<>();
            try {
                check.run();
                items = List.copyOf(recording);
            } finally {
                recording = null;
            }
            memo.checks.put(resource, items);
        }
        for (Object item : items) {
            if (item instanceof ClusterReference reference) {
                checkClusterReference(reference.where(), reference.cluster());
            } else {
                problems.add((String) item);
            }
        }
    }

    private void problem(String problem) {
        if (recording != null) {
            recording.add(problem);
        } else {
            problems.add(problem);
        }
    }

    private void run() {
        unique("Cluster", resources.clusters(), Cluster::getName).forEach(clusterNames::add);
        Set<String> assignments = unique("ClusterLoadAssignment", resources.endpoints(),
                ClusterLoadAssignment::getClusterName);
        unique("Listener", resources.listeners(), Listener::getName);
        unique("RouteConfiguration", resources.routes(), RouteConfiguration::getName).forEach(routeConfigNames::add);

        resources.clusters().forEach(cluster -> checkCluster(cluster, assignments));
        resources.endpoints().forEach(assignment -> memoized(assignment,
                () -> checkAssignment("ClusterLoadAssignment \"" + assignment.getClusterName() + "\"", assignment)));
        resources.routes().forEach(config -> memoized(config,
                () -> checkRouteConfiguration("RouteConfiguration \"" + config.getName() + "\"", config)));
        Map<String, String> bound = new HashMap<>();
        for (Listener listener : resources.listeners()) {
            checkListener(listener, bound);
        }
    }

    private <T> Set<String> unique(String kind, List<T> items, Function<T, String> name) {
        Set<String> seen = new HashSet<>();
        for (T item : items) {
            String itemName = name.apply(item);
            if (itemName.isEmpty()) {
                problem(kind + ": name is empty");
            } else if (!seen.add(itemName)) {
                problem(kind + " \"" + itemName + "\": name appears more than once");
            }
        }
        return seen;
    }

    private void checkCluster(Cluster cluster, Set<String> assignments) {
        String where = "Cluster \"" + cluster.getName() + "\"";
        if (cluster.getType() == Cluster.DiscoveryType.EDS) {
            String serviceName = cluster.getEdsClusterConfig().getServiceName().isEmpty()
                    ? cluster.getName() : cluster.getEdsClusterConfig().getServiceName();
            if (!assignments.contains(serviceName)) {
                problem(where + ": eds_cluster_config.service_name \"" + serviceName
                        + "\" has no ClusterLoadAssignment");
            }
            if (!cluster.getEdsClusterConfig().getEdsConfig().hasAds()) {
                problem(where + ": eds_cluster_config.eds_config is not ads");
            }
        } else if (cluster.getType() == Cluster.DiscoveryType.STATIC) {
            checkAssignment(where + " load_assignment", cluster.getLoadAssignment());
        }
    }

    private void checkAssignment(String where, ClusterLoadAssignment assignment) {
        for (int i = 0; i < assignment.getEndpointsCount(); i++) {
            LocalityLbEndpoints locality = assignment.getEndpoints(i);
            String at = where + " endpoints[" + i + "]";
            if (locality.getLoadBalancingWeight().getValue() == 0) {
                problem(at + ": load_balancing_weight must be > 0 (grpc-java ignores the locality otherwise)");
            }
            for (int j = 0; j < locality.getLbEndpointsCount(); j++) {
                LbEndpoint endpoint = locality.getLbEndpoints(j);
                checkAddress(at + ".lb_endpoints[" + j + "].endpoint.address", endpoint.getEndpoint().getAddress());
            }
        }
    }

    private void checkRouteConfiguration(String where, RouteConfiguration config) {
        Set<String> hosts = new HashSet<>();
        Set<String> domains = new HashSet<>();
        for (VirtualHost host : config.getVirtualHostsList()) {
            String at = where + " virtual host \"" + host.getName() + "\"";
            if (!hosts.add(host.getName())) {
                problem(at + ": name appears more than once");
            }
            if (host.getDomainsCount() == 0) {
                problem(at + ": domains is empty");
            }
            for (String domain : host.getDomainsList()) {
                if (!domains.add(domain)) {
                    problem(at + ": domain \"" + domain + "\" is also in another virtual host");
                }
            }
            for (int i = 0; i < host.getRoutesCount(); i++) {
                checkRoute(at + " route[" + i + "]", host.getRoutes(i));
            }
        }
    }

    private void checkRoute(String where, Route route) {
        if (!route.hasRoute()) {
            return; // redirects and direct responses name no cluster
        }
        RouteAction action = route.getRoute();
        switch (action.getClusterSpecifierCase()) {
            case CLUSTER -> checkBackend(where + " cluster", action.getCluster(), action);
            case WEIGHTED_CLUSTERS -> {
                long total = 0;
                for (WeightedCluster.ClusterWeight weighted : action.getWeightedClusters().getClustersList()) {
                    checkBackend(where + " weighted_clusters", weighted.getName(), action);
                    total += weighted.getWeight().getValue();
                }
                if (total <= 0) {
                    problem(where + " weighted_clusters: weights must add up to more than 0");
                } else if (total > 0xFFFF_FFFFL) {
                    problem(where + " weighted_clusters: weights add up to " + total + ", more than a uint32");
                }
            }
            default -> problem(where + ": names no cluster (" + action.getClusterSpecifierCase() + ")");
        }
    }

    /**
     * A route's cluster must exist, except an HTTPRoute's share for backends that cannot be called: the one cluster
     * that never does, on a route answering a missing cluster with 500 ({@link GammaRoutes#INVALID_BACKEND}).
     */
    private void checkBackend(String where, String cluster, RouteAction action) {
        if (!(cluster.equals(GammaRoutes.INVALID_BACKEND) && action.getClusterNotFoundResponseCode()
                == RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR)) {
            checkClusterReference(where, cluster);
        }
    }

    private void checkClusterReference(String where, String cluster) {
        if (recording != null) {
            recording.add(new ClusterReference(where, cluster));
            return;
        }
        if (!clusterNames.contains(cluster)) {
            problem(where + ": \"" + cluster + "\" is not among the clusters");
        }
    }

    private void checkListener(Listener listener, Map<String, String> bound) {
        String where = "Listener \"" + listener.getName() + "\"";
        if (listener.hasApiListener()) {
            connectionManager(where + " api_listener", listener.getApiListener().getApiListener())
                    .ifPresent(manager -> checkConnectionManager(where + " api_listener", manager));
            return;
        }
        if (checkAddress(where + " address", listener.getAddress())) {
            SocketAddress socket = listener.getAddress().getSocketAddress();
            String key = socket.getAddress() + ":" + socket.getPortValue();
            String other = bound.putIfAbsent(key, listener.getName());
            if (other != null) {
                problem(where + " address: " + key + " is also the address of Listener \"" + other + "\"");
            }
        }
        if (listener.getFilterChainsCount() == 0 && !listener.hasDefaultFilterChain()) {
            problem(where + ": has no filter chain");
        }
        Set<String> matches = new HashSet<>();
        for (FilterChain chain : listener.getFilterChainsList()) {
            String at = where + " filter chain \"" + chain.getName() + "\"";
            if (!matches.add(chain.getFilterChainMatch().toString())) {
                problem(at + ": filter_chain_match is the same as another chain's");
            }
            checkFilterChain(at, chain);
        }
        if (listener.hasDefaultFilterChain()) {
            checkFilterChain(where + " default_filter_chain", listener.getDefaultFilterChain());
        }
    }

    private void checkFilterChain(String where, FilterChain chain) {
        if (chain.getFiltersCount() == 0) {
            problem(where + ": has no filter");
        }
        for (Filter filter : chain.getFiltersList()) {
            Any config = filter.getTypedConfig();
            if (config.is(ConnectionLimit.class)) {
                unpack(where + " connection_limit", config, ConnectionLimit.class)
                        .filter(limit -> limit.getMaxConnections().getValue() < 1)
                        .ifPresent(limit -> problem(where + " connection_limit max_connections: must be at least 1"));
            } else if (config.is(TcpProxy.class)) {
                unpack(where + " tcp_proxy", config, TcpProxy.class)
                        .ifPresent(proxy -> checkClusterReference(where + " tcp_proxy cluster", proxy.getCluster()));
            } else if (config.is(HttpConnectionManager.class)) {
                connectionManager(where, config).ifPresent(manager -> checkConnectionManager(where, manager));
            } else if (config.is(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class)) {
                unpack(where + " rbac", config, io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);
            } else {
                problem(where + ": filter \"" + filter.getName() + "\" has an unknown typed_config " + config.getTypeUrl());
            }
        }
    }

    private void checkConnectionManager(String where, HttpConnectionManager manager) {
        List<HttpFilter> filters = manager.getHttpFiltersList();
        if (filters.isEmpty() || !filters.get(filters.size() - 1).getTypedConfig().is(Router.class)) {
            problem(where + " http_filters: must end with a typed " + ResourceNames.ROUTER_FILTER);
        }
        for (int i = 0; i < filters.size() - 1; i++) {
            Any config = filters.get(i).getTypedConfig();
            if (!config.is(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
                    && !config.is(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.class)
                    && !config.is(io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.class)) {
                problem(where + " http_filters[" + i + "]: \"" + filters.get(i).getName() + "\" is not an HTTP filter "
                        + "Meshwork's sidecar runs (envoy.filters.http.rbac, fault, local_ratelimit before the router)");
            }
        }
        switch (manager.getRouteSpecifierCase()) {
            case RDS -> {
                if (!manager.getRds().getConfigSource().hasAds()) {
                    problem(where + " rds.config_source: is not ads");
                }
                String name = manager.getRds().getRouteConfigName();
                if (!routeConfigNames.contains(name)) {
                    problem(where + " rds.route_config_name: \"" + name + "\" is not among the route configurations");
                }
            }
            case ROUTE_CONFIG -> checkRouteConfiguration(where + " route_config \"" + manager.getRouteConfig().getName() + "\"",
                    manager.getRouteConfig());
            default -> problem(where + ": has neither rds nor route_config");
        }
    }

    private Optional<HttpConnectionManager> connectionManager(String where, Any config) {
        return unpack(where, config, HttpConnectionManager.class);
    }

    private <T extends Message> Optional<T> unpack(String where, Any config, Class<T> type) {
        try {
            return Optional.of(config.unpack(type));
        } catch (InvalidProtocolBufferException e) {
            problem(where + ": typed_config is not a " + type.getSimpleName() + " (" + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    /** Whether the address is an IP literal with a port in 1..65535; reports why not. */
    private boolean checkAddress(String where, Address address) {
        if (!address.hasSocketAddress()) {
            problem(where + ": has no socket_address");
            return false;
        }
        SocketAddress socket = address.getSocketAddress();
        boolean valid = true;
        if (!IPV4.matcher(socket.getAddress()).matches() && !IPV6.matcher(socket.getAddress()).matches()) {
            problem(where + ": \"" + socket.getAddress() + "\" is not an IP address");
            valid = false;
        }
        int port = socket.getPortValue();
        if (port < 1 || port > 65535) {
            problem(where + ": port " + port + " is not in 1..65535");
            valid = false;
        }
        return valid;
    }
}
