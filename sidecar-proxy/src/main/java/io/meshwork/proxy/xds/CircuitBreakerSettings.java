package io.meshwork.proxy.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.meshwork.proxy.cluster.RetryLimit;
import io.meshwork.proxy.cluster.Thresholds;

/**
 * A cluster's {@link Thresholds} from its {@code circuit_breakers}: the first {@code thresholds} of DEFAULT priority
 * (every request the sidecar sends is of DEFAULT priority, so HIGH ones never apply), with Envoy's defaults for what
 * it leaves out (1024 connections, pending requests and requests; 3 retries, or with a {@code retry_budget} 20% with
 * at least 3). What the sidecar cannot do ({@code track_remaining}'s gauges, {@code max_connection_pools},
 * {@code per_host_thresholds}) is NACKed naming the field.
 */
final class CircuitBreakerSettings {

    private static final double DEFAULT_BUDGET_PERCENT = 20;
    private static final int DEFAULT_MIN_RETRY_CONCURRENCY = 3;

    private CircuitBreakerSettings() {
    }

    /** {@code where} is "Cluster "name": field ". */
    static Thresholds thresholds(Cluster cluster, String where) throws InvalidResourceException {
        if (!cluster.hasCircuitBreakers()) {
            return Thresholds.ENVOY_DEFAULT;
        }
        CircuitBreakers breakers = cluster.getCircuitBreakers();
        if (breakers.getPerHostThresholdsCount() > 0) {
            throw new InvalidResourceException(where + "circuit_breakers.per_host_thresholds is not supported");
        }
        for (int i = 0; i < breakers.getThresholdsCount(); i++) {
            CircuitBreakers.Thresholds thresholds = breakers.getThresholds(i);
            String field = where + "circuit_breakers.thresholds[" + i + "]";
            if (thresholds.getTrackRemaining() || thresholds.hasMaxConnectionPools()) {
                throw new InvalidResourceException(field + ": track_remaining and max_connection_pools are not "
                        + "supported");
            }
            if (thresholds.getPriority() != RoutingPriority.DEFAULT) {
                continue;
            }
            return new Thresholds(limit(thresholds.hasMaxConnections(), thresholds.getMaxConnections()),
                    limit(thresholds.hasMaxPendingRequests(), thresholds.getMaxPendingRequests()),
                    limit(thresholds.hasMaxRequests(), thresholds.getMaxRequests()), retryLimit(thresholds, field));
        }
        return Thresholds.ENVOY_DEFAULT;
    }

    /** A uint32 limit as an int: Envoy's default when unset, and past 2³¹-1 as good as none. */
    private static int limit(boolean set, UInt32Value value) {
        if (!set) {
            return Thresholds.DEFAULT_LIMIT;
        }
        return value.getValue() < 0 ? Integer.MAX_VALUE : value.getValue();
    }

    private static RetryLimit retryLimit(CircuitBreakers.Thresholds thresholds, String field)
            throws InvalidResourceException {
        int maxRetries = thresholds.hasMaxRetries() ? limit(true, thresholds.getMaxRetries())
                : RetryLimit.ENVOY_DEFAULT.maxRetries();
        if (!thresholds.hasRetryBudget()) {
            return new RetryLimit(Double.NaN, 0, maxRetries);
        }
        CircuitBreakers.Thresholds.RetryBudget budget = thresholds.getRetryBudget();
        double percent = budget.hasBudgetPercent() ? budget.getBudgetPercent().getValue() : DEFAULT_BUDGET_PERCENT;
        if (!(percent >= 0 && percent <= 100)) {
            throw new InvalidResourceException(field + ".retry_budget.budget_percent " + percent + " is not in 0..100");
        }
        int min = budget.hasMinRetryConcurrency() ? limit(true, budget.getMinRetryConcurrency())
                : DEFAULT_MIN_RETRY_CONCURRENCY;
        return new RetryLimit(percent, min, maxRetries);
    }
}
