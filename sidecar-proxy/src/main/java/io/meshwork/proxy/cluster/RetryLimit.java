package io.meshwork.proxy.cluster;

/**
 * How many retries a cluster allows in flight at once, from its {@code circuit_breakers.thresholds} (DEFAULT
 * priority): with a {@code retry_budget}, {@code budgetPercent} of the requests in flight to the cluster but at
 * least {@code minConcurrency}; without one, {@code max_retries} (Envoy's default 3).
 *
 * @param budgetPercent NaN when the cluster has no retry budget
 */
public record RetryLimit(double budgetPercent, int minConcurrency, int maxRetries) {

    /** Envoy's defaults without circuit breakers: at most 3 retries in flight per cluster. */
    public static final RetryLimit ENVOY_DEFAULT = new RetryLimit(Double.NaN, 0, 3);

    public boolean hasBudget() {
        return !Double.isNaN(budgetPercent);
    }

    /** The retries allowed in flight while {@code activeRequests} requests are in flight to the cluster. */
    public int allowed(int activeRequests) {
        if (!hasBudget()) {
            return maxRetries;
        }
        return Math.max(minConcurrency, (int) (activeRequests * budgetPercent / 100));
    }
}
