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
    /** By cluster name, made on a cluster's first request and kept across configs. */
    private final java.util.concurrent.ConcurrentHashMap<String, ClusterResources> resources =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.function.BiConsumer<ClusterConfig, ClusterResources> newResources;
    /** By cluster name, for the clusters with outlier detection; kept across configs while they have it. */
    private final java.util.concurrent.ConcurrentHashMap<String, OutlierDetector> outliers =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.function.BiConsumer<ClusterConfig, OutlierDetector> newDetector;

    public ClusterManager() {
        this((cluster, made) -> { }, (cluster, made) -> { });
    }

    /** {@code newResources} and {@code newDetector} hear of each cluster's resources and outlier detector made. */
    public ClusterManager(java.util.function.BiConsumer<ClusterConfig, ClusterResources> newResources,
                          java.util.function.BiConsumer<ClusterConfig, OutlierDetector> newDetector) {
        this.newResources = newResources;
        this.newDetector = newDetector;
    }

    /** What {@code cluster} has in use against its circuit breakers, made on first use. */
    public ClusterResources resources(ClusterConfig cluster) {
        ClusterResources existing = resources.get(cluster.name());
        if (existing != null) {
            return existing;
        }
        return resources.computeIfAbsent(cluster.name(), name -> {
            ClusterResources made = new ClusterResources(cluster.thresholds());
            newResources.accept(cluster, made);
            return made;
        });
    }

    /** The retry budget of {@code cluster}, made on first use. */
    public RetryBudget retryBudget(ClusterConfig cluster) {
        return resources(cluster).retries();
    }

    /** Every cluster's outlier detector, by cluster name (for the admin's stats and config summary). */
    public Map<String, OutlierDetector> outlierDetectors() {
        return new java.util.TreeMap<>(outliers);
    }

    /** Every cluster's resources made so far, by cluster name (for the admin's stats). */
    public Map<String, ClusterResources> resources() {
        return new java.util.TreeMap<>(resources);
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
        outliers.keySet().removeIf(name -> config.clusters().get(name) == null
                || config.clusters().get(name).outlierDetection() == null);
        config.clusters().forEach((name, cluster) -> {
            OutlierDetector detector = null;
            if (cluster.outlierDetection() != null) {
                detector = outliers.computeIfAbsent(name, n -> {
                    OutlierDetector made = new OutlierDetector(cluster.outlierDetection());
                    newDetector.accept(cluster, made);
                    return made;
                });
                detector.update(cluster.outlierDetection(), cluster.endpoints());
            }
            balancers.put(name, new LoadBalancer(cluster, counters, detector));
        });
        view = new View(config, Map.copyOf(balancers), counters);
        // Limits follow the config; counts stay (a cluster gone keeps its counters until it comes back).
        config.clusters().forEach((name, cluster) -> {
            ClusterResources used = resources.get(name);
            if (used != null) {
                used.thresholds(cluster.thresholds());
            }
        });
    }

    public View view() {
        return view;
    }
}
