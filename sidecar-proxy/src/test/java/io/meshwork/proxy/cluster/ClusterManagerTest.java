package io.meshwork.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.xds.ProxyConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ClusterManagerTest {

    private static final EndpointConfig A = endpoint("127.0.0.11");
    private static final EndpointConfig B = endpoint("127.0.0.12");
    private static final EndpointConfig C = endpoint("127.0.0.13");

    private final ClusterManager manager = new ClusterManager();

    private static EndpointConfig endpoint(String host) {
        return new EndpointConfig(host, 80, true, "reviews-" + host, "default", "v1");
    }

    private static ClusterConfig cluster(String name, EndpointConfig... endpoints) {
        return new ClusterConfig(name, ClusterConfig.LbPolicy.LEAST_REQUEST, Duration.ofSeconds(1), false,
                name, name, List.of(endpoints));
    }

    private static ProxyConfig config(ClusterConfig... clusters) {
        return new ProxyConfig(Map.of(), Map.of(),
                Arrays.stream(clusters).collect(Collectors.toMap(ClusterConfig::name, c -> c)), Map.of());
    }

    private AtomicInteger counter(String cluster, EndpointConfig endpoint) {
        return manager.view().balancers().get(cluster).counter(endpoint);
    }

    @Test
    void aKeptEndpointKeepsItsCounterAcrossASwap() {
        manager.update(config(cluster("reviews", A, B)));
        AtomicInteger before = counter("reviews", A);
        before.incrementAndGet();

        manager.update(config(cluster("reviews", A, C)));

        assertThat(counter("reviews", A)).isSameAs(before).hasValue(1);
    }

    @Test
    void anEndpointSharedByTwoClustersHasOneCounter() {
        manager.update(config(cluster("reviews", A, B), cluster("reviews-v1", A)));

        assertThat(counter("reviews", A)).isSameAs(counter("reviews-v1", A));
    }

    @Test
    void anIdleRemovedEndpointsCounterIsDroppedBySwap() {
        manager.update(config(cluster("reviews", A, B), cluster("ratings", C)));

        manager.update(config(cluster("reviews", A)));

        assertThat(manager.view().inFlight()).containsOnlyKeys(A.hostPort());
    }

    @Test
    void aRemovedEndpointsCounterIsHeldOnlyUntilItsRequestsEnd() {
        manager.update(config(cluster("reviews", A, B)));
        AtomicInteger held = counter("reviews", B);
        held.incrementAndGet();

        manager.update(config(cluster("reviews", A)));
        assertThat(manager.view().inFlight()).containsEntry(B.hostPort(), held);

        held.decrementAndGet();
        manager.update(config(cluster("reviews", A)));
        assertThat(manager.view().inFlight()).containsOnlyKeys(A.hostPort());
    }

    @Test
    void leastRequestStillAvoidsTheBusierEndpointAfterASwap() {
        manager.update(config(cluster("reviews", A, B)));
        counter("reviews", A).addAndGet(100);
        manager.update(config(cluster("reviews", A, B), cluster("ratings", C)));

        LoadBalancer balancer = manager.view().balancers().get("reviews");
        int toB = 0;
        for (int i = 0; i < 1000; i++) {
            if (balancer.pick() == B) {
                toB++;
            }
        }
        // Two random choices pick A only when both land on A: about a quarter of the time.
        assertThat(toB).isBetween(650, 850);
    }
}
