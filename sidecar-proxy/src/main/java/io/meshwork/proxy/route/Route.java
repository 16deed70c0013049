package io.meshwork.proxy.route;

import io.meshwork.proxy.route.retry.RetryPolicy;
import java.time.Duration;
import java.util.List;

/**
 * One route: a match, the weighted clusters it sends to, its timeout (zero means none), its retry policy (null: no
 * retries), its idle timeout (null: the connection manager's stream idle timeout; zero: none) and the status that
 * answers a request whose picked cluster does not exist ({@code cluster_not_found_response_code}: 503 unless the
 * route says 500 or 404, as an HTTPRoute's backend that cannot be called does).
 */
public record Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout, RetryPolicy retryPolicy,
                    Duration idleTimeout, int clusterNotFoundStatus) {

    public static final int DEFAULT_CLUSTER_NOT_FOUND_STATUS = 503;

    public Route {
        clusters = List.copyOf(clusters);
    }

    /** A route without retries or an idle timeout of its own. */
    public Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout) {
        this(match, clusters, timeout, null, null, DEFAULT_CLUSTER_NOT_FOUND_STATUS);
    }

    /** A destination cluster and its relative weight. */
    public record WeightedCluster(String cluster, int weight) {
    }
}
