package io.meshwork.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The ejection rules of OutlierDetector and how LoadBalancer passes over an ejected endpoint. */
class OutlierDetectorTest {

    private static final OutlierDetection FIVE_IN_A_ROW = new OutlierDetection(5, 0, Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(300), 50);

    private static List<EndpointConfig> endpoints(int count) {
        return java.util.stream.IntStream.range(0, count)
                .mapToObj(i -> new EndpointConfig("127.0.0.1", 9100 + i, true, "pay-" + i, "default", "v1")).toList();
    }

    private static OutlierDetector detector(OutlierDetection config, List<EndpointConfig> endpoints) {
        OutlierDetector detector = new OutlierDetector(config);
        detector.update(config, endpoints);
        return detector;
    }

    private static void fail(OutlierDetector.Host host, int times, int status) {
        for (int i = 0; i < times; i++) {
            host.result(status);
        }
    }

    @Test
    void onlyErrorsInARowEjectAndGatewayErrorsCountApartWhenWatched() {
        List<EndpointConfig> endpoints = endpoints(4);
        OutlierDetector detector = detector(new OutlierDetection(5, 2, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(300), 100), endpoints);
        OutlierDetector.Host flaky = detector.host(endpoints.get(0));
        fail(flaky, 4, 500);
        flaky.result(200);
        fail(flaky, 4, 500);
        assertThat(flaky.ejected()).as("a success between breaks the run").isFalse();

        OutlierDetector.Host gateway = detector.host(endpoints.get(1));
        gateway.result(503);
        gateway.result(502);
        assertThat(gateway.ejected()).isTrue();
        assertThat(detector.enforced(OutlierDetector.Reason.CONSECUTIVE_GATEWAY_FAILURE)).isEqualTo(1);
        assertThat(gateway.ejectedForNanos()).isBetween(Duration.ofSeconds(29).toNanos(), Duration.ofSeconds(30).toNanos());
    }

    @Test
    void atMaxEjectionPercentNoMoreAreEjectedButOneAlwaysMayBe() {
        List<EndpointConfig> endpoints = endpoints(4);
        OutlierDetector detector = detector(FIVE_IN_A_ROW, endpoints);
        endpoints.forEach(e -> fail(detector.host(e), 5, 503));
        assertThat(detector.ejectedNow()).as("50% of 4").isEqualTo(2);
        assertThat(detector.overflows()).isEqualTo(2);

        OutlierDetector few = detector(new OutlierDetection(5, 0, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(300), 10), endpoints);
        endpoints.forEach(e -> fail(few.host(e), 5, 503));
        assertThat(few.ejectedNow()).as("10% of 4 is none, but one always may be").isEqualTo(1);
    }

    @Test
    void anEjectionLastsBaseTimesItsEjectionsAndTheEndpointReturnsWhenItIsOver() throws Exception {
        List<EndpointConfig> endpoints = endpoints(2);
        OutlierDetection shortOnes = new OutlierDetection(1, 0, Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofSeconds(300), 50);
        OutlierDetector detector = detector(shortOnes, endpoints);
        OutlierDetector.Host host = detector.host(endpoints.get(0));

        host.result(500);
        assertThat(host.ejectedForNanos()).isBetween(1L, Duration.ofMillis(100).toNanos());
        Thread.sleep(150);
        assertThat(host.ejected()).isFalse();
        host.result(500);
        assertThat(host.ejectedForNanos()).as("second ejection: 2 x base").isGreaterThan(Duration.ofMillis(100).toNanos());
    }

    @Test
    void theLoadBalancerPassesOverAnEjectedEndpointUnlessAllAre() {
        List<EndpointConfig> endpoints = endpoints(3);
        ClusterConfig cluster = new ClusterConfig("pay", ClusterConfig.LbPolicy.ROUND_ROBIN, Duration.ofSeconds(1),
                false, "pay", null, endpoints);
        Map<String, AtomicInteger> counters = new java.util.HashMap<>();
        endpoints.forEach(e -> counters.put(e.hostPort(), new AtomicInteger()));
        OutlierDetector detector = detector(new OutlierDetection(1, 0, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(300), 100), endpoints);
        LoadBalancer balancer = new LoadBalancer(cluster, counters, detector);

        balancer.outcome(endpoints.get(1), 503);
        for (int i = 0; i < 30; i++) {
            assertThat(balancer.pick()).isNotEqualTo(endpoints.get(1));
        }
        balancer.outcome(endpoints.get(0), 503);
        balancer.outcome(endpoints.get(2), 503);
        assertThat(balancer.pick()).as("all ejected: traffic goes on (Envoy's panic)").isNotNull();
    }

    /** Success-rate ejection only (no consecutive counts), interval 10 s: the tests run the sweep themselves. */
    private static OutlierDetection successRate(int minimumHosts, int requestVolume, int stdevFactor) {
        return new OutlierDetection(0, 0, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 50,
                new OutlierDetection.SuccessRate(minimumHosts, requestVolume, stdevFactor));
    }

    /** {@code successes} non-5xx answers of {@code tries}, the failures spread among them. */
    private static void answer(OutlierDetector.Host host, int tries, int successes) {
        for (int i = 0; i < tries; i++) {
            host.result(i < successes ? 200 : 503);
        }
    }

    @Test
    void successRateEjectsWhatLiesBelowTheMeanMinusTheFactorTimesThePopulationStandardDeviation() {
        // Rates 100, 98, 96, 94, 80: mean 93.6, standard deviation (over five) 7.088; factor 1.9 puts the threshold
        // at 80.13 (80 is ejected), factor 2.0 at 79.42 (nothing is).
        int[] successes = {100, 98, 96, 94, 80};
        for (int factor : new int[] {1900, 2000}) {
            List<EndpointConfig> endpoints = endpoints(5);
            OutlierDetector detector = detector(successRate(5, 100, factor), endpoints);
            for (int i = 0; i < 5; i++) {
                answer(detector.host(endpoints.get(i)), 100, successes[i]);
            }
            detector.sweepSuccessRates();

            boolean ejects = factor == 1900;
            assertThat(detector.host(endpoints.get(4)).ejected()).as("80%% at factor %d", factor).isEqualTo(ejects);
            assertThat(detector.ejectedNow()).isEqualTo(ejects ? 1 : 0);
            assertThat(detector.enforced(OutlierDetector.Reason.SUCCESS_RATE)).isEqualTo(ejects ? 1 : 0);
        }
    }

    @Test
    void successRateNeedsMinimumHostsWithTheRequestVolumeAndCountsOnlyTheIntervalJustEnded() {
        List<EndpointConfig> endpoints = endpoints(5);
        OutlierDetector detector = detector(successRate(5, 100, 1900), endpoints);
        for (int i = 0; i < 4; i++) {
            answer(detector.host(endpoints.get(i)), 100, 100);
        }
        answer(detector.host(endpoints.get(4)), 99, 0);
        detector.sweepSuccessRates();
        assertThat(detector.ejectedNow()).as("four hosts with 100 requests, fewer than minimumHosts").isZero();

        // The next interval starts from nothing: the 99 failures above do not add to the next ones.
        for (int i = 0; i < 4; i++) {
            answer(detector.host(endpoints.get(i)), 100, 100);
        }
        answer(detector.host(endpoints.get(4)), 1, 0);
        detector.sweepSuccessRates();
        assertThat(detector.ejectedNow()).isZero();

        for (int i = 0; i < 5; i++) {
            answer(detector.host(endpoints.get(i)), 100, i == 4 ? 0 : 100);
        }
        detector.sweepSuccessRates();
        assertThat(detector.host(endpoints.get(4)).ejected()).isTrue();
        assertThat(detector.successRateDetected()).isEqualTo(1);
    }

    @Test
    void successRateEjectionsStayWithinMaxEjectionPercent() {
        List<EndpointConfig> endpoints = endpoints(6);
        OutlierDetector detector = detector(successRate(3, 10, 500), endpoints);
        int[] successes = {100, 100, 100, 100, 10, 20};
        for (int i = 0; i < 6; i++) {
            answer(detector.host(endpoints.get(i)), 100, successes[i]);
        }
        // mean 71.7, stdev 40.2: threshold 51.6 at factor 0.5 takes both bad ones, but 50% of 6 is three.
        detector.sweepSuccessRates();
        assertThat(detector.ejectedNow()).isEqualTo(2);

        OutlierDetector few = detector(new OutlierDetection(0, 0, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(300), 20, new OutlierDetection.SuccessRate(3, 10, 500)), endpoints);
        for (int i = 0; i < 6; i++) {
            answer(few.host(endpoints.get(i)), 100, successes[i]);
        }
        few.sweepSuccessRates();
        assertThat(few.ejectedNow()).as("20% of 6 is one").isEqualTo(1);
        assertThat(few.overflows()).isEqualTo(1);
        assertThat(few.successRateDetected()).isEqualTo(2);
        assertThat(List.of(few.host(endpoints.get(4)), few.host(endpoints.get(5)))).filteredOn(OutlierDetector.Host::ejected)
                .singleElement().satisfies(ejected -> assertThat(ejected.ejectedForNanos())
                        .isBetween(Duration.ofSeconds(29).toNanos(), Duration.ofSeconds(30).toNanos()));
    }
}
