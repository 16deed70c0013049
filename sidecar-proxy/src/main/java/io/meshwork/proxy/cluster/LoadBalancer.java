package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks a healthy endpoint of a cluster: round robin, or least request by the power of two
 * choices. One instance per cluster per config; active-request counts outlive configs.
 */
public final class LoadBalancer {

    private static final ConcurrentHashMap<String, AtomicInteger> ACTIVE = new ConcurrentHashMap<>();

    private final ClusterConfig cluster;
    private final List<EndpointConfig> healthy;
    /** The shared counters of this cluster's endpoints, looked up once per config instead of per request. */
    private final Map<EndpointConfig, AtomicInteger> counters = new IdentityHashMap<>();
    private final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

    public LoadBalancer(ClusterConfig cluster) {
        this.cluster = cluster;
        this.healthy = cluster.endpoints().stream().filter(EndpointConfig::healthy).toList();
        for (EndpointConfig endpoint : healthy) {
            counters.put(endpoint, active(endpoint));
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

    /** {@link #active} for an endpoint this balancer picked, without building its key. */
    public AtomicInteger counter(EndpointConfig endpoint) {
        AtomicInteger counter = counters.get(endpoint);
        return counter != null ? counter : active(endpoint);
    }

    /** The in-flight request count of an endpoint (incremented and decremented by the proxy). */
    public static AtomicInteger active(EndpointConfig endpoint) {
        return ACTIVE.computeIfAbsent(endpoint.hostPort(), key -> new AtomicInteger());
    }
}
