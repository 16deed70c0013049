package io.meshwork.proxy.cluster;

import java.time.Duration;

/**
 * A cluster's {@code outlier_detection} as the sidecar does it: consecutive 5xx and consecutive gateway errors (502,
 * 503, 504, and a connect failure or reset, which Envoy counts as 503), each off at 0.
 *
 * @param consecutive5xx errors in a row that eject an endpoint; 0: not watched
 * @param consecutiveGatewayErrors gateway errors in a row that eject an endpoint; 0: not watched
 * @param interval how often Envoy's sweep runs: an endpoint not ejected for this long loses one from its ejection count
 * @param baseEjectionTime the first ejection's length; the n-th is n times it, at most {@code maxEjectionTime}
 * @param maxEjectionPercent at most this share of the endpoints is ejected at once (but always one may be)
 */
public record OutlierDetection(int consecutive5xx, int consecutiveGatewayErrors, Duration interval,
                               Duration baseEjectionTime, Duration maxEjectionTime, int maxEjectionPercent) {
}
