package io.meshwork.controlplane.canary;

/**
 * What one analysis interval saw: the weights in force, requests per side, the canary's success
 * rate and p99, its retry rate (retries per request, in percent: shown, not checked, since a request
 * that succeeded after retries is a success) and the ejections of its endpoints, and the verdict.
 */
public record StepReport(
        int step,
        int steps,
        int canaryWeight,
        long primaryRequests,
        long canaryRequests,
        double canarySuccessRate,
        double canaryP99Millis,
        double canaryRetryRate,
        long canaryEjections,
        Verdict verdict,
        String detail,
        int failedChecks,
        int threshold) {

    /** How an interval's check came out. */
    public enum Verdict {
        PASSED, FAILED, NO_TRAFFIC
    }
}
