package io.meshwork.controlplane.canary;

import java.util.Map;
import java.util.TreeMap;

/**
 * Cumulative request counters of one backend, summed over the sidecars that report it: total
 * requests, non-5xx responses, and a duration histogram (upper bound in ms → cumulative count);
 * the retries the calling sidecars made to it, and how often their outlier detection ejected one of
 * its endpoints. Two readings subtracted give what happened in between.
 *
 * @param requests requests as the client saw them, one per request whatever its tries
 * @param successes non-5xx answers among them (a request that succeeded after retries is a success)
 * @param retries tries beyond each request's first ({@code mesh_upstream_retries_total})
 * @param ejections ejections of its endpoints ({@code mesh_outlier_ejections_total}, any reason)
 */
public record TrafficStats(long requests, long successes, TreeMap<Double, Long> durationBuckets, long retries,
                           long ejections) {

    public static final TrafficStats EMPTY = new TrafficStats(0, 0, new TreeMap<>());

    public TrafficStats {
        durationBuckets = new TreeMap<>(durationBuckets);
    }

    /** Requests only: no retries, no ejections. */
    public TrafficStats(long requests, long successes, TreeMap<Double, Long> durationBuckets) {
        this(requests, successes, durationBuckets, 0, 0);
    }

    public TrafficStats plus(TrafficStats other) {
        TreeMap<Double, Long> buckets = new TreeMap<>(durationBuckets);
        other.durationBuckets.forEach((le, count) -> buckets.merge(le, count, Long::sum));
        return new TrafficStats(requests + other.requests, successes + other.successes, buckets,
                retries + other.retries, ejections + other.ejections);
    }

    /** What happened since {@code earlier}; counters that went down (a sidecar restarted) count from zero. */
    public TrafficStats since(TrafficStats earlier) {
        long retriesSince = earlier.retries > retries ? retries : retries - earlier.retries;
        long ejectionsSince = earlier.ejections > ejections ? ejections : ejections - earlier.ejections;
        if (earlier.requests > requests) {
            return new TrafficStats(requests, successes, durationBuckets, retriesSince, ejectionsSince);
        }
        TreeMap<Double, Long> buckets = new TreeMap<>();
        for (Map.Entry<Double, Long> e : durationBuckets.entrySet()) {
            buckets.put(e.getKey(), Math.max(0, e.getValue() - earlier.durationBuckets.getOrDefault(e.getKey(), 0L)));
        }
        return new TrafficStats(requests - earlier.requests, Math.max(0, successes - earlier.successes), buckets,
                retriesSince, ejectionsSince);
    }

    /** Non-5xx share in percent; 100 when there were no requests. */
    public double successRatePercent() {
        return requests == 0 ? 100.0 : 100.0 * successes / requests;
    }

    /** Retries per request in percent (Linkerd's and Flagger's "retry rate"); 0 when there were no requests. */
    public double retryRatePercent() {
        return requests == 0 ? 0.0 : 100.0 * retries / requests;
    }

    /**
     * The {@code q} quantile of the duration in ms, interpolated linearly inside the bucket it falls in
     * (as Prometheus' {@code histogram_quantile}); 0 when there were no requests.
     */
    public double quantileMillis(double q) {
        long total = durationBuckets.isEmpty() ? 0 : durationBuckets.lastEntry().getValue();
        if (total == 0) {
            return 0;
        }
        double rank = q * total;
        double lowerBound = 0;
        long lowerCount = 0;
        for (Map.Entry<Double, Long> e : durationBuckets.entrySet()) {
            if (e.getValue() >= rank) {
                if (e.getKey().isInfinite()) {
                    return lowerBound;
                }
                long inBucket = e.getValue() - lowerCount;
                double fraction = inBucket == 0 ? 1 : (rank - lowerCount) / inBucket;
                return lowerBound + (e.getKey() - lowerBound) * fraction;
            }
            lowerBound = e.getKey();
            lowerCount = e.getValue();
        }
        return lowerBound;
    }
}
