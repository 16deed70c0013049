package io.meshwork.proxy.cluster;

/**
 * A cluster's circuit breaker limits, from its {@code circuit_breakers.thresholds} of DEFAULT priority, with Envoy's
 * defaults for what is not set.
 *
 * @param maxConnections connections this sidecar keeps open to all the cluster's endpoints
 * @param maxPendingRequests requests waiting for a connection to be opened
 * @param maxRequests requests in flight to the cluster
 * @param retries how many retries may be in flight at once ({@code max_retries} or {@code retry_budget})
 */
public record Thresholds(int maxConnections, int maxPendingRequests, int maxRequests, RetryLimit retries) {

    /** Envoy's defaults: 1024 connections, pending requests and requests; 3 retries. */
    public static final int DEFAULT_LIMIT = 1024;
    public static final Thresholds ENVOY_DEFAULT = new Thresholds(DEFAULT_LIMIT, DEFAULT_LIMIT, DEFAULT_LIMIT,
            RetryLimit.ENVOY_DEFAULT);
}
