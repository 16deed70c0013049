package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshCircuitBreaker;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;
import java.time.Duration;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshCircuitBreaker}: {@code spec.targetRef} and at least one of
 * {@code maxConnections}, {@code maxPendingRequests}, {@code maxRequests} (each at least 1, but pending requests
 * may be 0: nothing waits for a connection) and {@code maxRetries} (0: no retries); and
 * {@code outlierDetection {consecutive5xx, consecutiveGatewayErrors, interval, baseEjectionTime, maxEjectionPercent,
 * successRate {minimumHosts, requestVolume, standardDeviationFactor}}}.
 */
final class MeshCircuitBreakerParser implements KindParser<MeshCircuitBreaker> {

    @Override
    public MeshCircuitBreaker parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        Integer maxConnections = limit(spec, "maxConnections", 1);
        Integer maxPending = limit(spec, "maxPendingRequests", 0);
        Integer maxRequests = limit(spec, "maxRequests", 1);
        Integer maxRetries = limit(spec, "maxRetries", 0);
        MeshCircuitBreaker.OutlierDetection outliers = spec.optionalObject("outlierDetection")
                .map(MeshCircuitBreakerParser::outlierDetection).orElse(null);
        if (maxConnections == null && maxPending == null && maxRequests == null && maxRetries == null
                && outliers == null) {
            throw spec.error("maxConnections", "a MeshCircuitBreaker sets at least one of maxConnections, "
                    + "maxPendingRequests, maxRequests, maxRetries, outlierDetection");
        }
        return new MeshCircuitBreaker(ref, target, maxConnections, maxPending, maxRequests, maxRetries, outliers);
    }

    private static MeshCircuitBreaker.OutlierDetection outlierDetection(YamlObject outliers) {
        Integer consecutive5xx = limit(outliers, "consecutive5xx", 1);
        Integer consecutiveGateway = limit(outliers, "consecutiveGatewayErrors", 1);
        MeshCircuitBreaker.SuccessRate successRate = outliers.optionalObject("successRate")
                .map(MeshCircuitBreakerParser::successRate).orElse(null);
        if (consecutive5xx == null && consecutiveGateway == null && successRate == null) {
            throw outliers.error("consecutive5xx", "outlierDetection needs consecutive5xx, consecutiveGatewayErrors "
                    + "or successRate");
        }
        Duration interval = MeshTimeoutParser.positive(outliers, "interval");
        Duration base = MeshTimeoutParser.positive(outliers, "baseEjectionTime");
        Integer maxPercent = limit(outliers, "maxEjectionPercent", 0);
        if (maxPercent != null && maxPercent > 100) {
            throw outliers.error("maxEjectionPercent", maxPercent + " is not a percentage (0-100)");
        }
        return new MeshCircuitBreaker.OutlierDetection(consecutive5xx, consecutiveGateway,
                interval != null ? interval : MeshCircuitBreaker.OutlierDetection.DEFAULT_INTERVAL,
                base != null ? base : MeshCircuitBreaker.OutlierDetection.DEFAULT_BASE_EJECTION_TIME,
                maxPercent != null ? maxPercent : MeshCircuitBreaker.OutlierDetection.DEFAULT_MAX_EJECTION_PERCENT,
                successRate);
    }

    /**
     * {@code successRate {minimumHosts, requestVolume, standardDeviationFactor}} with Envoy's defaults (5, 100, 1.9);
     * the factor is a number with at most three decimals, as Kuma writes it.
     */
    private static MeshCircuitBreaker.SuccessRate successRate(YamlObject rule) {
        Integer minimumHosts = limit(rule, "minimumHosts", 1);
        Integer requestVolume = limit(rule, "requestVolume", 1);
        Integer factor = rule.optionalScalar("standardDeviationFactor").map(scalar -> {
            java.math.BigDecimal value;
            try {
                value = new java.math.BigDecimal(scalar.getValue().strip());
            } catch (NumberFormatException e) {
                throw rule.error("standardDeviationFactor", "must be a number, not \"" + scalar.getValue() + "\"");
            }
            if (value.signum() <= 0 || value.scale() > 3 || value.compareTo(java.math.BigDecimal.valueOf(1_000_000)) > 0) {
                throw rule.error("standardDeviationFactor", value.toPlainString()
                        + " is not a positive number with at most three decimals (at most 1000000)");
            }
            return value.movePointRight(3).intValueExact();
        }).orElse(null);
        return new MeshCircuitBreaker.SuccessRate(
                minimumHosts != null ? minimumHosts : MeshCircuitBreaker.SuccessRate.DEFAULT_MINIMUM_HOSTS,
                requestVolume != null ? requestVolume : MeshCircuitBreaker.SuccessRate.DEFAULT_REQUEST_VOLUME,
                factor != null ? factor : MeshCircuitBreaker.SuccessRate.DEFAULT_STANDARD_DEVIATION_FACTOR);
    }

    private static Integer limit(YamlObject spec, String key, int least) {
        Integer value = spec.optionalInt(key).orElse(null);
        if (value != null && value < least) {
            throw spec.error(key, value + " is less than " + least);
        }
        return value;
    }
}
