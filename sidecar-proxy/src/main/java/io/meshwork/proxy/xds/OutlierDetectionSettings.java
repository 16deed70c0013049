package io.meshwork.proxy.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.meshwork.proxy.cluster.OutlierDetection;
import java.time.Duration;

/**
 * A cluster's {@code outlier_detection} with Envoy's defaults (5 consecutive 5xx enforced, 5 consecutive gateway
 * failures not, success rate enforced over at least 5 hosts with 100 requests each and a stdev factor of 1.9, interval
 * 10 s, base ejection 30 s, at most 300 s, 10%). Failure-percentage ejection, local-origin errors counted apart, and
 * enforcing percentages other than 0 or 100 are NACKed naming the field.
 */
final class OutlierDetectionSettings {

    private static final int DEFAULT_CONSECUTIVE = 5;
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    private static final Duration DEFAULT_BASE_EJECTION = Duration.ofSeconds(30);
    private static final Duration DEFAULT_MAX_EJECTION = Duration.ofSeconds(300);
    private static final int DEFAULT_MAX_PERCENT = 10;
    private static final int DEFAULT_SUCCESS_RATE_MINIMUM_HOSTS = 5;
    private static final int DEFAULT_SUCCESS_RATE_REQUEST_VOLUME = 100;
    private static final int DEFAULT_SUCCESS_RATE_STDEV_FACTOR = 1900;

    private OutlierDetectionSettings() {
    }

    /** Null when the cluster has none; {@code where} is "Cluster "name": field ". */
    static OutlierDetection of(Cluster cluster, String where) throws InvalidResourceException {
        if (!cluster.hasOutlierDetection()) {
            return null;
        }
        io.envoyproxy.envoy.config.cluster.v3.OutlierDetection od = cluster.getOutlierDetection();
        String field = where + "outlier_detection.";
        if (percent(od.hasEnforcingFailurePercentage(), od.getEnforcingFailurePercentage(), 0) != 0) {
            throw new InvalidResourceException(field + "enforcing_failure_percentage: failure-percentage ejection is "
                    + "not supported (set it to 0)");
        }
        if (od.getSplitExternalLocalOriginErrors()) {
            throw new InvalidResourceException(field + "split_external_local_origin_errors is not supported");
        }
        int consecutive5xx = enforced(od.hasConsecutive5Xx(), od.getConsecutive5Xx(),
                percent(od.hasEnforcingConsecutive5Xx(), od.getEnforcingConsecutive5Xx(), 100),
                field + "enforcing_consecutive_5xx");
        int gateway = enforced(od.hasConsecutiveGatewayFailure(), od.getConsecutiveGatewayFailure(),
                percent(od.hasEnforcingConsecutiveGatewayFailure(), od.getEnforcingConsecutiveGatewayFailure(), 0),
                field + "enforcing_consecutive_gateway_failure");
        Duration interval = od.hasInterval()
                ? ConnectionPolicies.duration(od.getInterval(), field + "interval") : DEFAULT_INTERVAL;
        Duration base = od.hasBaseEjectionTime()
                ? ConnectionPolicies.duration(od.getBaseEjectionTime(), field + "base_ejection_time")
                : DEFAULT_BASE_EJECTION;
        Duration max = od.hasMaxEjectionTime()
                ? ConnectionPolicies.duration(od.getMaxEjectionTime(), field + "max_ejection_time") : DEFAULT_MAX_EJECTION;
        int maxPercent = od.hasMaxEjectionPercent() ? od.getMaxEjectionPercent().getValue() : DEFAULT_MAX_PERCENT;
        if (interval.isZero() || base.isZero() || maxPercent < 0 || maxPercent > 100) {
            throw new InvalidResourceException(field + "interval and base_ejection_time must be more than 0, "
                    + "max_ejection_percent at most 100");
        }
        return new OutlierDetection(consecutive5xx, gateway, interval, base, max, maxPercent, successRate(od, field));
    }

    /** Success-rate ejection when enforced (Envoy enforces it unless {@code enforcing_success_rate} is 0), else null. */
    private static OutlierDetection.SuccessRate successRate(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection od,
                                                           String field) throws InvalidResourceException {
        int enforcing = percent(od.hasEnforcingSuccessRate(), od.getEnforcingSuccessRate(), 100);
        if (enforcing != 0 && enforcing != 100) {
            throw new InvalidResourceException(field + "enforcing_success_rate " + Integer.toUnsignedString(enforcing)
                    + " is not supported (0 or 100)");
        }
        if (enforcing == 0) {
            return null;
        }
        int minimumHosts = od.hasSuccessRateMinimumHosts() ? od.getSuccessRateMinimumHosts().getValue()
                : DEFAULT_SUCCESS_RATE_MINIMUM_HOSTS;
        int volume = od.hasSuccessRateRequestVolume() ? od.getSuccessRateRequestVolume().getValue()
                : DEFAULT_SUCCESS_RATE_REQUEST_VOLUME;
        int factor = od.hasSuccessRateStdevFactor() ? od.getSuccessRateStdevFactor().getValue()
                : DEFAULT_SUCCESS_RATE_STDEV_FACTOR;
        if (minimumHosts < 0 || volume < 0 || factor < 0) {
            throw new InvalidResourceException(field + "success_rate_minimum_hosts, success_rate_request_volume and "
                    + "success_rate_stdev_factor must be at most " + Integer.MAX_VALUE);
        }
        return new OutlierDetection.SuccessRate(minimumHosts, volume, factor);
    }

    private static int percent(boolean set, UInt32Value value, int envoyDefault) {
        return set ? value.getValue() : envoyDefault;
    }

    /** The count in effect: 0 when not enforced. */
    private static int enforced(boolean set, UInt32Value count, int enforcing, String field)
            throws InvalidResourceException {
        if (enforcing != 0 && enforcing != 100) {
            throw new InvalidResourceException(field + " " + Integer.toUnsignedString(enforcing)
                    + " is not supported (0 or 100)");
        }
        int value = set ? count.getValue() : DEFAULT_CONSECUTIVE;
        return enforcing == 0 ? 0 : Math.max(1, value);
    }
}
