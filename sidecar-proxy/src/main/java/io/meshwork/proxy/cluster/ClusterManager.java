package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.xds.ProxyConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The config the data plane routes with, paired with the load balancers built for it, so a request
 * sees routes and clusters of the same generation. Replaced whole on each accepted config.
 */
public final class ClusterManager {

    /**
     * One generation: the config, a balancer per cluster, and the in-flight request count per endpoint
     * ({@code host:port}), shared by every cluster naming that endpoint.
     */
    public record View(ProxyConfig config, Map<String, LoadBalancer> balancers, Map<String, AtomicInteger> inFlight) {
    }

    private volatile View view = new View(ProxyConfig.EMPTY, Map.of(), Map.of());
    /** By cluster name, made on a cluster's first retry and kept across configs. */
    private final java.util.concurrent.ConcurrentHashMap<String, RetryBudget> retryBudgets =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.function.BiConsumer<ClusterConfig, RetryBudget> newBudget;

    public ClusterManager() {
        this((cluster, budget) -> { });
    }

    /** {@code newBudget} hears of each retry budget made (to publish its counters). */
    public ClusterManager(java.util.function.BiConsumer<ClusterConfig, RetryBudget> newBudget) {
        this.newBudget = newBudget;
    }

    /** The retry budget of {@code cluster}, made on first use. */
    public RetryBudget retryBudget(ClusterConfig cluster) {
        RetryBudget budget = retryBudgets.get(cluster.name());
        if (budget != null) {
            return budget;
        }
        return retryBudgets.computeIfAbsent(cluster.name(), name -> {
            RetryBudget made = new RetryBudget();
            newBudget.accept(cluster, made);
            return made;
        });
    }

    /** Every retry budget made so far, by cluster name (for the admin's stats). */
    public Map<String, RetryBudget> retryBudgets() {
        return new java.util.TreeMap<>(retryBudgets);
    }

    /** Swaps in a config; synchronized because each view's counters are carried over from the previous one. */
    public synchronized void update(ProxyConfig config) {
        Map<String, AtomicInteger> previous = view.inFlight();
        Map<String, AtomicInteger> inFlight = new HashMap<>();
        for (ClusterConfig cluster : config.clusters().values()) {
            for (EndpointConfig endpoint : cluster.endpoints()) {
                // A kept endpoint keeps its counter: requests begun on the old view decrement the same one.
                inFlight.computeIfAbsent(endpoint.hostPort(), hostPort -> previous.getOrDefault(hostPort,
                        new AtomicInteger()));
            }
        }
        // A removed endpoint's counter stays only while requests to it are in flight (each holds the
        // counter itself); it is dropped by the first swap after they end, so churning pods leak nothing.
        previous.forEach((hostPort, count) -> {
            if (count.get() > 0) {
                inFlight.putIfAbsent(hostPort, count);
            }
        });
        Map<String, AtomicInteger> counters = Map.copyOf(inFlight);
        Map<String, LoadBalancer> balancers = new HashMap<>();
        config.clusters().forEach((name, cluster) -> balancers.put(name, new LoadBalancer(cluster, counters)));
        view = new View(config, Map.copyOf(balancers), counters);
    }

    public View view() {
        return view;
    }
}
