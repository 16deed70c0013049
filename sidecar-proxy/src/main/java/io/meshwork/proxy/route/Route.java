package io.meshwork.proxy.route;

import java.time.Duration;
import java.util.List;

/** One route: a match, the weighted clusters it sends to, and its timeout (zero means none). */
public record Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout) {

    public Route {
        clusters = List.copyOf(clusters);
    }

    /** A destination cluster and its relative weight. */
    public record WeightedCluster(String cluster, int weight) {
    }
}
