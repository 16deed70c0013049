package io.meshwork.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The reference check java-control-plane's {@code Snapshot.ensureConsistent()} means to make
 * (every EDS cluster has its load assignment, every RDS name has its route configuration), done
 * here because the library's own check cannot be used: it finds an HttpConnectionManager only in
 * a filter named {@code envoy.http_connection_manager} (the deprecated name; ours is
 * {@code envoy.filters.network.http_connection_manager}) and never looks into api_listeners, so it
 * would reject every valid sidecar and proxyless group that uses RDS.
 */
final class ReferenceGuard {

    private ReferenceGuard() {
    }

    /** One line per broken reference, naming the resource and the field; empty when consistent. */
    static List<String> problems(GroupResources resources) {
        List<String> problems = new ArrayList<>();
        Set<String> assignments = resources.endpoints().stream().map(ClusterLoadAssignment::getClusterName)
                .collect(Collectors.toSet());
        for (Cluster cluster : resources.clusters()) {
            if (cluster.getType() == Cluster.DiscoveryType.EDS) {
                String name = cluster.getEdsClusterConfig().getServiceName();
                String wanted = name.isEmpty() ? cluster.getName() : name;
                if (!assignments.contains(wanted)) {
                    problems.add("Cluster " + cluster.getName() + ": eds_cluster_config.service_name \"" + wanted
                            + "\" has no ClusterLoadAssignment in this group");
                }
            }
        }
        Set<String> routes = resources.routes().stream().map(RouteConfiguration::getName).collect(Collectors.toSet());
        for (Listener listener : resources.listeners()) {
            for (Any config : httpConnectionManagers(listener)) {
                try {
                    HttpConnectionManager hcm = config.unpack(HttpConnectionManager.class);
                    if (hcm.hasRds() && !routes.contains(hcm.getRds().getRouteConfigName())) {
                        problems.add("Listener " + listener.getName() + ": rds.route_config_name \""
                                + hcm.getRds().getRouteConfigName() + "\" is not a RouteConfiguration of this group");
                    }
                } catch (InvalidProtocolBufferException e) {
                    problems.add("Listener " + listener.getName() + ": HttpConnectionManager does not parse: "
                            + e.getMessage());
                }
            }
        }
        return problems;
    }

    /** The typed configs of every HttpConnectionManager in the listener: its api_listener and its filter chains. */
    private static List<Any> httpConnectionManagers(Listener listener) {
        List<Any> found = new ArrayList<>();
        if (listener.hasApiListener() && listener.getApiListener().getApiListener().is(HttpConnectionManager.class)) {
            found.add(listener.getApiListener().getApiListener());
        }
        List<FilterChain> chains = new ArrayList<>(listener.getFilterChainsList());
        if (listener.hasDefaultFilterChain()) {
            chains.add(listener.getDefaultFilterChain());
        }
        for (FilterChain chain : chains) {
            for (Filter filter : chain.getFiltersList()) {
                if (filter.hasTypedConfig() && filter.getTypedConfig().is(HttpConnectionManager.class)) {
                    found.add(filter.getTypedConfig());
                }
            }
        }
        return found;
    }
}
