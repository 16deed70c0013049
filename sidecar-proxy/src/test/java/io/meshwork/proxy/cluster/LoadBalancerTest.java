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

    @Test
    void priorityLoadsFollowEnvoysOverprovisioningAndNormalization() {
        // all of level 0 healthy: it takes everything
        assertThat(LoadBalancer.priorityLoads(new double[] {1.0, 1.0})).containsExactly(1.0, 0.0);
        // 3 of 4 healthy: 75% x 1.4 > 100%, still everything on level 0
        assertThat(LoadBalancer.priorityLoads(new double[] {0.75, 1.0})).containsExactly(1.0, 0.0);
        // half healthy: 70% stays local, 30% spills to level 1 (Envoy's documented example)
        assertThat(LoadBalancer.priorityLoads(new double[] {0.5, 1.0})).containsExactly(new double[] {0.7, 0.3}, offset());
        // both levels a quarter healthy (35% each): normalized to 50/50, nothing dropped
        assertThat(LoadBalancer.priorityLoads(new double[] {0.25, 0.25})).containsExactly(new double[] {0.5, 0.5}, offset());
        // nothing healthy anywhere
        assertThat(LoadBalancer.priorityLoads(new double[] {0, 0})).containsExactly(0.0, 0.0);
    }

    @Test
    void aHalfHealthyLocalLevelKeepsItsShareAndTheRestFailsOver() {
        List<EndpointConfig> local = List.of(endpoint(1, 0, true), endpoint(2, 0, true), endpoint(3, 0, false),
                endpoint(4, 0, false));
        List<EndpointConfig> remote = List.of(endpoint(5, 1, true), endpoint(6, 1, true));
        Map<String, AtomicInteger> counters = new HashMap<>();
        java.util.stream.Stream.concat(local.stream(), remote.stream()).forEach(e -> counters.put(e.hostPort(), new AtomicInteger()));
        List<EndpointConfig> all = new java.util.ArrayList<>(local);
        all.addAll(remote);
        LoadBalancer balancer = new LoadBalancer(cluster(ClusterConfig.LbPolicy.ROUND_ROBIN, all), counters);

        int picks = 20_000;
        int toRemote = 0;
        for (int i = 0; i < picks; i++) {
            EndpointConfig picked = balancer.pick();
            assertThat(picked.healthy()).isTrue();
            toRemote += picked.priority();
        }
        assertThat(toRemote / (double) picks).as("share failed over to priority 1").isCloseTo(0.30, offsetOf(0.02));

        // the local level gone entirely: everything to the remote one
        LoadBalancer localDown = new LoadBalancer(cluster(ClusterConfig.LbPolicy.ROUND_ROBIN, List.of(endpoint(1, 0, false),
                endpoint(5, 1, true))), counters);
        for (int i = 0; i < 100; i++) {
            assertThat(localDown.pick().priority()).isEqualTo(1);
        }
        // local healthy again: nothing leaves it
        LoadBalancer back = new LoadBalancer(cluster(ClusterConfig.LbPolicy.LEAST_REQUEST, List.of(endpoint(1, 0, true),
                endpoint(5, 1, true))), counters);
        for (int i = 0; i < 100; i++) {
            assertThat(back.pick().priority()).isZero();
        }
    }

    @Test
    void ejectedEndpointsCountAsUnhealthyForPriorityLoadSoTrafficFailsOverAndComesBack() throws Exception {
        List<EndpointConfig> all = List.of(endpoint(1, 0, true), endpoint(2, 0, true), endpoint(5, 1, true),
                endpoint(6, 1, true));
        Map<String, AtomicInteger> counters = new HashMap<>();
        all.forEach(e -> counters.put(e.hostPort(), new AtomicInteger()));
        OutlierDetection oneError = new OutlierDetection(1, 0, java.time.Duration.ofSeconds(10),
                java.time.Duration.ofMillis(300), java.time.Duration.ofSeconds(300), 100);
        OutlierDetector detector = new OutlierDetector(oneError);
        detector.update(oneError, all);
        LoadBalancer balancer = new LoadBalancer(cluster(ClusterConfig.LbPolicy.ROUND_ROBIN, all), counters, detector);

        detector.host(all.get(0)).result(503); // half of the local level ejected: it keeps 0.5 x 1.4 = 70%
        assertThat(shareToPriorityOne(balancer)).as("share failed over with one of two local endpoints ejected")
                .isCloseTo(0.30, offsetOf(0.02));
        detector.host(all.get(1)).result(503); // the whole local level ejected
        assertThat(shareToPriorityOne(balancer)).as("share failed over with the local level ejected").isEqualTo(1.0);

        Thread.sleep(400); // both ejections (300 ms) over: the local level takes everything again
        assertThat(shareToPriorityOne(balancer)).as("share after the ejections ended").isZero();
    }

    private static double shareToPriorityOne(LoadBalancer balancer) {
        int picks = 20_000;
        int toRemote = 0;
        for (int i = 0; i < picks; i++) {
            toRemote += balancer.pick().priority();
        }
        return toRemote / (double) picks;
    }

    private static EndpointConfig endpoint(int n, int priority, boolean healthy) {
        return new EndpointConfig("127.0.1." + n, 80, healthy, "w" + n, "ns", "v1").withPriority(priority);
    }

    private static org.assertj.core.data.Offset<Double> offset() {
        return offsetOf(1e-9);
    }

    private static org.assertj.core.data.Offset<Double> offsetOf(double value) {
        return org.assertj.core.data.Offset.offset(value);
    }
}
