package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks a healthy endpoint of a cluster: round robin, or least request by the power of two
 * choices. One instance per cluster per config; the in-flight counts it reads belong to the
 * {@link ClusterManager}, which carries them across configs.
 */
public final class LoadBalancer {

    private final ClusterConfig cluster;
    private final List<EndpointConfig> healthy;
    /** The shared counters of this cluster's endpoints, looked up once per config instead of per request. */
    private final Map<EndpointConfig, AtomicInteger> counters = new IdentityHashMap<>();
    private final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

    /** {@code inFlight} holds a counter for every endpoint of the cluster, by {@code host:port}. */
    public LoadBalancer(ClusterConfig cluster, Map<String, AtomicInteger> inFlight) {
        this.cluster = cluster;
        this.healthy = cluster.endpoints().stream().filter(EndpointConfig::healthy).toList();
        for (EndpointConfig endpoint : healthy) {
            counters.put(endpoint, Objects.requireNonNull(inFlight.get(endpoint.hostPort()),
                    () -> "cluster " + cluster.name() + ": no in-flight counter for endpoint " + endpoint.hostPort()));
        }
    }

    public ClusterConfig cluster() {
        return cluster;
    }

    /** A healthy endpoint, or null when the cluster has none. */
    public EndpointConfig pick() {
        int size = healthy.size();
        if (size == 0) {
            return null;
        }
        if (size == 1) {
            return healthy.get(0);
        }
        if (cluster.lbPolicy() == ClusterConfig.LbPolicy.LEAST_REQUEST) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            EndpointConfig a = healthy.get(random.nextInt(size));
            EndpointConfig b = healthy.get(random.nextInt(size));
            return counter(a).get() <= counter(b).get() ? a : b;
        }
        return healthy.get(Math.floorMod(next.getAndIncrement(), size));
    }

    /**
     * The requests in flight to this cluster's healthy endpoints (each endpoint's count covers every cluster naming
     * it). Sums the counters: for retry budgets, read once per retry, not per request.
     */
    public int activeRequests() {
        int sum = 0;
        for (AtomicInteger counter : counters.values()) {
            sum += counter.get();
        }
        return sum;
    }

    /** The in-flight request count of an endpoint this balancer picked (incremented and decremented by the proxy). */
    public AtomicInteger counter(EndpointConfig endpoint) {
        AtomicInteger counter = counters.get(endpoint);
        if (counter == null) {
            throw new IllegalArgumentException("cluster " + cluster.name() + ": endpoint " + endpoint.hostPort()
                    + " is not one of its healthy endpoints");
        }
        return counter;
    }
}
