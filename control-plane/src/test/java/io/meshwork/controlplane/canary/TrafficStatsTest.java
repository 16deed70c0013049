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
}
