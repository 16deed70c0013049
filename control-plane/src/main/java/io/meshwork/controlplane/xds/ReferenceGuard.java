package io.meshwork.controlplane.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.SnapshotConsistencyException;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
        boolean proxyless = resources.listeners().stream().anyMatch(Listener::hasApiListener);
        Snapshot checked = proxyless
                // The library would count no route references from api_listeners and reject every route.
                ? Snapshot.create(resources.clusters(), resources.endpoints(), List.of(), List.of(), List.of(), "")
                : snapshot;
        try {
            checked.ensureConsistent();
        } catch (SnapshotConsistencyException e) {
            problems.add("inconsistent references: " + e.getMessage());
        }
        if (proxyless) {
            problems.addAll(apiListenerRoutes(resources));
        }
        return problems;
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
