package io.meshwork.controlplane.model;

import java.time.Duration;
import java.util.List;

/**
 * A {@code meshwork.io/v1alpha1 MeshRetry}: when and how often calls to a Service are retried.
 *
 * @param attempts retries after the first try (Envoy's {@code num_retries})
 * @param retryOn the conditions, as Envoy names them in {@code retry_on}
 * @param retriableStatusCodes the HTTP statuses {@code retriable-status-codes} retries on
 * @param perTryTimeout each try's timeout; null when not set
 * @param backoff the exponential backoff between tries
 * @param budget how many retries may be in flight at once; null for Envoy's default (3 per cluster)
 */
public record MeshRetry(ObjectRef ref, PolicyTarget target, int attempts, List<String> retryOn,
                        List<Integer> retriableStatusCodes, Duration perTryTimeout, Backoff backoff, Budget budget)
        implements TargetedPolicy {

    /** The conditions a MeshRetry may name: Envoy's HTTP ones, then gRPC's statuses. */
    public static final List<String> CONDITIONS = List.of("5xx", "gateway-error", "reset", "connect-failure",
            "retriable-status-codes", "cancelled", "unavailable", "resource-exhausted", "deadline-exceeded");

    /** As Istio's default retries: failures where the request surely was not processed, and gRPC's unavailable. */
    public static final List<String> DEFAULT_RETRY_ON = List.of("connect-failure", "cancelled", "unavailable");

    /** Istio's default number of retries. */
    public static final int DEFAULT_ATTEMPTS = 2;

    public MeshRetry {
        retryOn = List.copyOf(retryOn);
        retriableStatusCodes = List.copyOf(retriableStatusCodes);
    }

    /**
     * Exponential backoff with jitter: the n-th retry waits a random time up to {@code baseInterval × 2ⁿ},
     * at most {@code maxInterval} (Envoy's {@code retry_back_off}).
     */
    public record Backoff(Duration baseInterval, Duration maxInterval) {

        /** Envoy's default: 25 ms, at most ten times that. */
        public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(25), Duration.ofMillis(250));
    }

    /**
     * A retry budget, as Linkerd's and Envoy's {@code retry_budget}: retries in flight at most {@code percent} of
     * the requests in flight to the cluster, but never fewer than {@code minRetriesPerSecond} (carried as Envoy's
     * {@code min_retry_concurrency}, the number of retries always allowed in flight at once).
     */
    public record Budget(double percent, int minRetriesPerSecond) {

        /** Envoy's defaults for a budget: 20%, at least 3. */
        public static final double DEFAULT_PERCENT = 20;
        public static final int DEFAULT_MIN = 3;
    }
}
