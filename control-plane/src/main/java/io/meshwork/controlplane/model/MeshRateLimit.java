package io.meshwork.controlplane.model;

/**
 * A {@code meshwork.io/v1alpha1 MeshRateLimit}: a local token bucket at the inbound side of each workload of the
 * target Service (each sidecar counts its own requests, as Envoy's {@code envoy.filters.http.local_ratelimit}):
 * {@code requestsPerSecond} on average, up to {@code burst} at once; a request past it is answered 429.
 */
public record MeshRateLimit(ObjectRef ref, PolicyTarget target, int requestsPerSecond, int burst)
        implements TargetedPolicy {

    /** Envoy refills a token bucket at most every 50 ms. */
    public static final long MIN_FILL_INTERVAL_MILLIS = 50;

    /** The bucket refills {@code burst} tokens at once, every {@code burst / requestsPerSecond} seconds. */
    public java.time.Duration fillInterval() {
        return java.time.Duration.ofNanos(burst * 1_000_000_000L / requestsPerSecond);
    }

    /** The default burst: 100 ms of requests (at least one, and at least one 50 ms refill's worth). */
    public static int defaultBurst(int requestsPerSecond) {
        return Math.max(minBurst(requestsPerSecond), (requestsPerSecond + 9) / 10);
    }

    /** The least burst whose refill interval is at least 50 ms. */
    public static int minBurst(int requestsPerSecond) {
        return (int) Math.max(1, (requestsPerSecond * MIN_FILL_INTERVAL_MILLIS + 999) / 1000);
    }
}
