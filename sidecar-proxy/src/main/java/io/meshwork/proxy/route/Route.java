package io.meshwork.proxy.route;

import io.meshwork.proxy.route.retry.RetryPolicy;
import java.time.Duration;
import java.util.List;

/**
 * One route: a match, the weighted clusters it sends to, its timeout (zero means none), its retry policy (null: no
 * retries) and its idle timeout (null: the connection manager's stream idle timeout; zero: none).
 */
public record Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout, RetryPolicy retryPolicy,
                    Duration idleTimeout) {

    public Route {
        clusters = List.copyOf(clusters);
    }

    /** A route without retries or an idle timeout of its own. */
    public Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout) {
        this(match, clusters, timeout, null, null);
    }

    /** A destination cluster and its relative weight. */
    public record WeightedCluster(String cluster, int weight) {
    }
}
