package io.meshwork.proxy.route;

import io.meshwork.proxy.route.retry.RetryPolicy;
import java.time.Duration;
import java.util.List;

/**
 * One route: a match, the weighted clusters it sends to, its timeout (zero means none), its retry policy (null: no
 * retries), its idle timeout (null: the connection manager's stream idle timeout; zero: none) and the status that
 * answers a request whose picked cluster does not exist ({@code cluster_not_found_response_code}: 503 unless the
 * route says 500 or 404, as an HTTPRoute's backend that cannot be called does) and its {@code max_stream_duration}
 * (null: none). A route with a {@code redirect} has no clusters: the sidecar answers it. {@code filterConfigs}: its
 * {@code typed_per_filter_config}, read, by HTTP filter name.
 */
public record Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout, RetryPolicy retryPolicy,
                    Duration idleTimeout, int clusterNotFoundStatus, RouteFilters filters, Redirect redirect,
                    StreamDuration streamDuration, java.util.Map<String, Object> filterConfigs) {

    public static final int DEFAULT_CLUSTER_NOT_FOUND_STATUS = 503;

    public Route {
        clusters = List.copyOf(clusters);
        filters = filters == null ? RouteFilters.NONE : filters;
        filterConfigs = filterConfigs == null ? java.util.Map.of() : java.util.Map.copyOf(filterConfigs);
    }

    /** Without a max_stream_duration or per-filter configs. */
    public Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout, RetryPolicy retryPolicy,
                 Duration idleTimeout, int clusterNotFoundStatus, RouteFilters filters, Redirect redirect) {
        this(match, clusters, timeout, retryPolicy, idleTimeout, clusterNotFoundStatus, filters, redirect, null, null);
    }

    /** The route's config for the HTTP filter named {@code filter}, when it has one of that type; else null. */
    public <T> T filterConfig(String filter, Class<T> type) {
        Object config = filterConfigs.get(filter);
        return type.isInstance(config) ? type.cast(config) : null;
    }

    /**
     * What ends one stream of this route before its timeout would (its max_stream_duration, a gRPC call's grpc-timeout),
     * or {@link StreamDuration.Deadline#NONE}.
     */
    public StreamDuration.Deadline streamDeadline(io.netty.handler.codec.http.HttpHeaders headers) {
        return streamDuration == null ? StreamDuration.Deadline.NONE : streamDuration.before(timeout.toMillis(), headers);
    }

    /** A route without retries or an idle timeout of its own. */
    public Route(RouteMatch match, List<WeightedCluster> clusters, Duration timeout) {
        this(match, clusters, timeout, null, null, DEFAULT_CLUSTER_NOT_FOUND_STATUS, RouteFilters.NONE, null);
    }

    /**
     * A destination cluster, its relative weight and what it does to the request and response besides the route's
     * (a weighted cluster's {@code request_headers_to_add} and the like).
     */
    public record WeightedCluster(String cluster, int weight, HeaderMutation requestHeaders,
                                  HeaderMutation responseHeaders) {

        public WeightedCluster(String cluster, int weight) {
            this(cluster, weight, HeaderMutation.NONE, HeaderMutation.NONE);
        }
    }
}
