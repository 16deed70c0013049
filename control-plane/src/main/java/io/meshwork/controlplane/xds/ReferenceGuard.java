package io.meshwork.controlplane.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.SnapshotConsistencyException;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * java-control-plane's {@code ensureConsistent()} (CDS→EDS and LDS→RDS references must match
 * exactly), adapted to api_listeners, which that check does not look into.
 */
final class ReferenceGuard {

    private ReferenceGuard() {
    }

    /** The broken references of {@code resources}; empty when consistent. */
    static List<String> problems(GroupResources resources, Snapshot snapshot) {
        List<String> problems = new ArrayList<>();
        if (resources.listeners().stream().noneMatch(Listener::hasApiListener)) {
            try {
                snapshot.ensureConsistent();
            } catch (SnapshotConsistencyException e) {
                problems.add("inconsistent references: " + e.getMessage());
            }
            return problems;
        }
        // The library would count no route references from api_listeners and reject every route,
        // so for proxyless groups both halves of its check are done here.
        problems.addAll(edsClusterEndpoints(resources));
        problems.addAll(apiListenerRoutes(resources));
        return problems;
    }

    /** As the library's CDS→EDS check: the EDS clusters' service names and the load assignments are the same set. */
    private static List<String> edsClusterEndpoints(GroupResources resources) {
        Set<String> wanted = new TreeSet<>();
        for (Cluster cluster : resources.clusters()) {
            if (cluster.getType() == Cluster.DiscoveryType.EDS) {
                String name = cluster.getEdsClusterConfig().getServiceName();
                wanted.add(name.isEmpty() ? cluster.getName() : name);
            }
        }
        Set<String> present = resources.endpoints().stream().map(ClusterLoadAssignment::getClusterName)
                .collect(Collectors.toCollection(TreeSet::new));
        if (wanted.equals(present)) {
            return List.of();
        }
        return List.of("inconsistent references: EDS clusters name load assignments " + wanted
                + " but the group has " + present);
    }

    private static List<String> apiListenerRoutes(GroupResources resources) {
        Set<String> routes = resources.routes().stream().map(RouteConfiguration::getName).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        for (Listener listener : resources.listeners()) {
            if (!listener.hasApiListener()) {
                continue;
            }
            try {
                HttpConnectionManager hcm = listener.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
                if (hcm.hasRds() && !routes.contains(hcm.getRds().getRouteConfigName())) {
                    problems.add("Listener " + listener.getName() + ": rds.route_config_name \""
                            + hcm.getRds().getRouteConfigName() + "\" is not a RouteConfiguration of this group");
                }
            } catch (InvalidProtocolBufferException e) {
                problems.add("Listener " + listener.getName() + ": api_listener is not an HttpConnectionManager");
            }
        }
        return problems;
    }
}
