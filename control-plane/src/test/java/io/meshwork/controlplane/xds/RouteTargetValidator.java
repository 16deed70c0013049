package io.meshwork.controlplane.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** A test validator (the translator's own one plugs in at merge): every route target must be a cluster. */
public final class RouteTargetValidator implements GroupValidator {

    @Override
    public List<String> problems(String groupKey, GroupResources resources) {
        Set<String> clusters = resources.clusters().stream().map(Cluster::getName).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        for (RouteConfiguration config : resources.routes()) {
            for (VirtualHost host : config.getVirtualHostsList()) {
                for (Route route : host.getRoutesList()) {
                    List<String> targets = new ArrayList<>();
                    if (route.getRoute().hasWeightedClusters()) {
                        route.getRoute().getWeightedClusters().getClustersList().stream()
                                .map(WeightedCluster.ClusterWeight::getName).forEach(targets::add);
                    } else {
                        targets.add(route.getRoute().getCluster());
                    }
                    targets.stream().filter(t -> !clusters.contains(t)).forEach(t -> problems.add(
                            "RouteConfiguration " + config.getName() + ": route target \"" + t + "\" is not a cluster"));
                }
            }
        }
        return problems;
    }
}
