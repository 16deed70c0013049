package io.meshwork.controlplane.model;

import java.time.Duration;

/**
 * A {@code meshwork.io/v1alpha1 MeshCircuitBreaker}: how much a client sidecar may ask of a Service's cluster at
 * once, as Envoy's {@code circuit_breakers.thresholds} (DEFAULT priority). A null limit is not set by this policy:
 * Envoy's default applies (1024 connections, pending requests and requests; 3 retries, or a MeshRetry's budget).
 *
 * @param maxConnections connections to all the cluster's endpoints
 * @param maxPendingRequests requests waiting for a connection
 * @param maxRequests requests in flight
 * @param maxRetries retries in flight
 * @param outlierDetection when an endpoint is ejected from the load balancing; null for none
 */
public record MeshCircuitBreaker(ObjectRef ref, PolicyTarget target, Integer maxConnections,
                                 Integer maxPendingRequests, Integer maxRequests, Integer maxRetries,
                                 OutlierDetection outlierDetection) implements TargetedPolicy {

    /** Whether it sets any of the four limits (it may set only outlier detection). */
    public boolean hasThresholds() {
        return maxConnections != null || maxPendingRequests != null || maxRequests != null || maxRetries != null;
    }

    /**
     * Envoy's and Istio's outlier detection: an endpoint that answers {@code consecutive5xx} 5xx (or
     * {@code consecutiveGatewayErrors} 502, 503, 504 or connect failures) in a row, or (with {@code successRate})
     * whose success rate over an interval lies too far below the others', is ejected for
     * {@code baseEjectionTime} × its number of ejections, while at most {@code maxEjectionPercent} of the endpoints
     * are (but always one); a null detector is not used.
     */
    public record OutlierDetection(Integer consecutive5xx, Integer consecutiveGatewayErrors, Duration interval,
                                   Duration baseEjectionTime, int maxEjectionPercent, SuccessRate successRate) {

        /** Envoy's and Istio's defaults. */
        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
        public static final Duration DEFAULT_BASE_EJECTION_TIME = Duration.ofSeconds(30);
        public static final int DEFAULT_MAX_EJECTION_PERCENT = 10;

        /** Without success-rate ejection. */
        public OutlierDetection(Integer consecutive5xx, Integer consecutiveGatewayErrors, Duration interval,
                                Duration baseEjectionTime, int maxEjectionPercent) {
            this(consecutive5xx, consecutiveGatewayErrors, interval, baseEjectionTime, maxEjectionPercent, null);
        }
    }

    /**
     * Success-rate ejection (Kuma's {@code detectors.successRate}, Envoy's {@code success_rate_*}): at each interval,
     * when at least {@code minimumHosts} endpoints had {@code requestVolume} requests or more in it, an endpoint whose
     * success rate is below their mean minus {@code standardDeviationFactor} standard deviations is ejected.
     *
     * @param standardDeviationFactor in thousandths, as Envoy's {@code success_rate_stdev_factor} (1900: 1.9)
     */
    public record SuccessRate(int minimumHosts, int requestVolume, int standardDeviationFactor) {

        /** Envoy's defaults. */
        public static final int DEFAULT_MINIMUM_HOSTS = 5;
        public static final int DEFAULT_REQUEST_VOLUME = 100;
        public static final int DEFAULT_STANDARD_DEVIATION_FACTOR = 1900;
    }
}
