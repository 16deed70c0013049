package io.meshwork.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {

    private static final EndpointConfig A = new EndpointConfig("127.0.0.11", 80, true, "a", "ns", "v1");
    private static final EndpointConfig B = new EndpointConfig("127.0.0.12", 80, true, "b", "ns", "v1");
    private static final EndpointConfig SICK = new EndpointConfig("127.0.0.13", 80, false, "c", "ns", "v1");

    private final Map<String, AtomicInteger> inFlight = Map.of(A.hostPort(), new AtomicInteger(),
            B.hostPort(), new AtomicInteger(), SICK.hostPort(), new AtomicInteger());

    private static ClusterConfig cluster(ClusterConfig.LbPolicy policy, List<EndpointConfig> endpoints) {
        return new ClusterConfig("c", policy, Duration.ofSeconds(1), false, "svc", "c", endpoints);
    }

    private LoadBalancer balancer(ClusterConfig.LbPolicy policy, List<EndpointConfig> endpoints) {
        return new LoadBalancer(cluster(policy, endpoints), inFlight);
    }

    @Test
    void roundRobinAlternatesOverHealthyEndpointsOnly() {
        LoadBalancer balancer = balancer(ClusterConfig.LbPolicy.ROUND_ROBIN, List.of(A, SICK, B));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            counts.merge(balancer.pick().workload(), 1, Integer::sum);
        }
        assertThat(counts).containsOnly(Map.entry("a", 50), Map.entry("b", 50));
    }

    @Test
    void noHealthyEndpointGivesNull() {
        assertThat(balancer(ClusterConfig.LbPolicy.ROUND_ROBIN, List.of(SICK)).pick()).isNull();
    }

    @Test
    void leastRequestAvoidsTheBusierEndpoint() {
        LoadBalancer balancer = balancer(ClusterConfig.LbPolicy.LEAST_REQUEST, List.of(A, B));
        balancer.counter(A).addAndGet(100);
        int toB = 0;
        for (int i = 0; i < 1000; i++) {
            if (balancer.pick() == B) {
                toB++;
            }
        }
        // Two random choices pick A only when both land on A: about a quarter of the time.
        assertThat(toB).isBetween(650, 850);
    }

    @Test
    void countsInFlightRequestsInTheCountersItWasGiven() {
        LoadBalancer balancer = balancer(ClusterConfig.LbPolicy.LEAST_REQUEST, List.of(A, B));
        assertThat(balancer.counter(A)).isSameAs(inFlight.get(A.hostPort()));
        assertThat(balancer.counter(B)).isSameAs(inFlight.get(B.hostPort()));
    }
}
