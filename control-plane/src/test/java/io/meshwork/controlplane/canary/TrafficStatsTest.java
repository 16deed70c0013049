package io.meshwork.controlplane.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TrafficStatsTest {

    private static TreeMap<Double, Long> buckets(double[] bounds, long[] counts) {
        TreeMap<Double, Long> buckets = new TreeMap<>();
        for (int i = 0; i < bounds.length; i++) {
            buckets.put(bounds[i], counts[i]);
        }
        return buckets;
    }

    @Test
    void p99InterpolatesInsideTheBucketItFallsIn() {
        TrafficStats stats = new TrafficStats(100, 100,
                buckets(new double[] {10, 100, Double.POSITIVE_INFINITY}, new long[] {90, 100, 100}));

        assertThat(stats.quantileMillis(0.99)).isCloseTo(91.0, within(0.01));
    }

    @Test
    void sinceSubtractsAnEarlierReading() {
        TrafficStats earlier = new TrafficStats(10, 9, buckets(new double[] {10}, new long[] {10}));
        TrafficStats later = new TrafficStats(30, 25, buckets(new double[] {10}, new long[] {30}));

        TrafficStats delta = later.since(earlier);

        assertThat(delta.requests()).isEqualTo(20);
        assertThat(delta.successRatePercent()).isEqualTo(80.0);
    }

    @Test
    void counterResetCountsFromZero() {
        TrafficStats earlier = new TrafficStats(500, 500, new TreeMap<>());
        TrafficStats afterRestart = new TrafficStats(20, 20, new TreeMap<>());

        assertThat(afterRestart.since(earlier).requests()).isEqualTo(20);
    }

    @Test
    void prometheusTextParsesLabelsEscapesAndInfinity() {
        var samples = PrometheusText.parse("""
                # HELP mesh_requests_total Requests
                # TYPE mesh_requests_total counter
                mesh_requests_total{destination_service="reviews-v2",response_code="200",note="a \\"q\\""} 42.0
                mesh_request_duration_milliseconds_bucket{le="+Inf"} 7
                up 1
                """);

        assertThat(samples).hasSize(3);
        assertThat(samples.get(0).label("destination_service")).isEqualTo("reviews-v2");
        assertThat(samples.get(0).label("note")).isEqualTo("a \"q\"");
        assertThat(samples.get(0).value()).isEqualTo(42.0);
        assertThat(samples.get(1).label("le")).isEqualTo("+Inf");
        assertThat(samples.get(2).name()).isEqualTo("up");
    }

    @Test
    void aBackendsRetriesAndEjectionsAreReadFromItsClusterCounters() {
        var samples = PrometheusText.parse("""
                mesh_requests_total{destination_service="reviews-v3.default.svc.cluster.local",response_code="200"} 90
                mesh_requests_total{destination_service="reviews-v3.default.svc.cluster.local",response_code="503"} 10
                mesh_upstream_retries_total{cluster_name="outbound|9080||reviews-v3.default.svc.cluster.local",destination_service="reviews-v3.default.svc.cluster.local"} 25
                mesh_upstream_retries_total{cluster_name="outbound|9080||reviews-v2.default.svc.cluster.local",destination_service="reviews-v2.default.svc.cluster.local"} 7
                mesh_outlier_ejections_total{cluster_name="outbound|9080||reviews-v3.default.svc.cluster.local",destination_service="reviews-v3.default.svc.cluster.local",reason="consecutive_5xx"} 2
                mesh_outlier_ejections_total{cluster_name="outbound|9080||reviews-v3.default.svc.cluster.local",destination_service="reviews-v3.default.svc.cluster.local",reason="success_rate"} 1
                """);

        TrafficStats v3 = SidecarScrape.statsOf(samples, "reviews-v3", "default");

        assertThat(v3.requests()).isEqualTo(100);
        assertThat(v3.successRatePercent()).isEqualTo(90.0);
        assertThat(v3.retries()).isEqualTo(25);
        assertThat(v3.retryRatePercent()).isEqualTo(25.0);
        assertThat(v3.ejections()).isEqualTo(3);
    }

    @Test
    void retriesAndEjectionsSubtractLikeRequests() {
        TrafficStats earlier = new TrafficStats(10, 10, new TreeMap<>(), 4, 1);
        TrafficStats later = new TrafficStats(30, 30, new TreeMap<>(), 9, 1);

        TrafficStats delta = later.since(earlier);

        assertThat(delta.retries()).isEqualTo(5);
        assertThat(delta.ejections()).isZero();
        assertThat(delta.retryRatePercent()).isEqualTo(25.0);
    }
}
