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
}
