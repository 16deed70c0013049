package io.meshwork.proxy.cluster;

import java.time.Duration;

/**
 * A cluster's {@code outlier_detection} as the sidecar does it: consecutive 5xx and consecutive gateway errors (502,
 * 503, 504, and a connect failure or reset, which Envoy counts as 503), each off at 0; and success-rate ejection at
 * each interval, off when null.
 *
 * @param consecutive5xx errors in a row that eject an endpoint; 0: not watched
 * @param consecutiveGatewayErrors gateway errors in a row that eject an endpoint; 0: not watched
 * @param interval how often Envoy's sweep runs: an endpoint not ejected for this long loses one from its ejection count,
 *     and success rates are compared over each interval's requests
 * @param baseEjectionTime the first ejection's length; the n-th is n times it, at most {@code maxEjectionTime}
 * @param maxEjectionPercent at most this share of the endpoints is ejected at once (but always one may be)
 * @param successRate success-rate ejection; null: not enforced
 */
public record OutlierDetection(int consecutive5xx, int consecutiveGatewayErrors, Duration interval,
                               Duration baseEjectionTime, Duration maxEjectionTime, int maxEjectionPercent,
                               SuccessRate successRate) {

    /** Without success-rate ejection. */
    public OutlierDetection(int consecutive5xx, int consecutiveGatewayErrors, Duration interval,
                            Duration baseEjectionTime, Duration maxEjectionTime, int maxEjectionPercent) {
        this(consecutive5xx, consecutiveGatewayErrors, interval, baseEjectionTime, maxEjectionTime, maxEjectionPercent,
                null);
    }

    /**
     * Envoy's success-rate ejection: at each interval, over the endpoints not ejected that had at least
     * {@code requestVolume} requests in it, and only when at least {@code minimumHosts} did, an endpoint whose success
     * rate is below mean − {@code stdevFactor}/1000 × standard deviation is ejected.
     *
     * @param minimumHosts {@code success_rate_minimum_hosts}
     * @param requestVolume {@code success_rate_request_volume}
     * @param stdevFactor {@code success_rate_stdev_factor}, in thousandths (1900: 1.9)
     */
    public record SuccessRate(int minimumHosts, int requestVolume, int stdevFactor) {
    }
}
