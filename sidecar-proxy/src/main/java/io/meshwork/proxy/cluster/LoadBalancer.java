package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks a healthy endpoint of a cluster: round robin, or least request by the power of two
 * choices; with localities at several priorities, first a level as Envoy weighs them (health ×
 * overprovisioning, spilling to the next level), then an endpoint in it. One instance per cluster per config; the in-flight counts it reads belong to the
 * {@link ClusterManager}, which carries them across configs.
 */
public final class LoadBalancer {

    /** Envoy's overprovisioning factor: a level at 72% health (1/1.4) still takes all of its traffic. */
    static final double OVERPROVISIONING = 1.4;

    private final ClusterConfig cluster;
    private final List<EndpointConfig> healthy;
    /** With more than one priority level: every endpoint of each level, and the healthy ones. */
    private final List<List<EndpointConfig>> allInLevel;
    private final List<List<EndpointConfig>> levels;
    /** Each level's share of requests (cumulative), as of the ejections it counted. */
    private volatile PriorityLoads loads;
    private final AtomicInteger[] nextInLevel;
    private final OutlierDetector detector;
    /** The shared counters of this cluster's endpoints, looked up once per config instead of per request. */
    private final Map<EndpointConfig, AtomicInteger> counters = new IdentityHashMap<>();
    private final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));
    /** With outlier detection: each healthy endpoint's record, which says whether it is ejected; else null. */
    private final Map<EndpointConfig, OutlierDetector.Host> outliers;

    /** {@code inFlight} holds a counter for every endpoint of the cluster, by {@code host:port}. */
    public LoadBalancer(ClusterConfig cluster, Map<String, AtomicInteger> inFlight) {
        this(cluster, inFlight, null);
    }

    /** {@code detector}: the cluster's outlier detection, whose ejected endpoints are passed over; null for none. */
    public LoadBalancer(ClusterConfig cluster, Map<String, AtomicInteger> inFlight, OutlierDetector detector) {
        this.cluster = cluster;
        this.detector = detector;
        this.healthy = cluster.endpoints().stream().filter(EndpointConfig::healthy).toList();
        for (EndpointConfig endpoint : healthy) {
            counters.put(endpoint, Objects.requireNonNull(inFlight.get(endpoint.hostPort()),
                    () -> "cluster " + cluster.name() + ": no in-flight counter for endpoint " + endpoint.hostPort()));
        }
        if (detector == null) {
            outliers = null;
        } else {
            outliers = new IdentityHashMap<>();
            healthy.forEach(endpoint -> outliers.put(endpoint, detector.host(endpoint)));
        }
        TreeMap<Integer, List<EndpointConfig>> all = new TreeMap<>();
        cluster.endpoints().forEach(e -> all.computeIfAbsent(e.priority(), p -> new ArrayList<>()).add(e));
        if (all.size() <= 1) {
            allInLevel = List.of();
            levels = List.of();
            nextInLevel = new AtomicInteger[0];
        } else {
            allInLevel = List.copyOf(all.values());
            levels = all.values().stream().map(l -> l.stream().filter(EndpointConfig::healthy).toList()).toList();
            nextInLevel = new AtomicInteger[levels.size()];
            for (int i = 0; i < nextInLevel.length; i++) {
                nextInLevel[i] = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));
            }
            loads = priorityLoads();
        }
    }

    /**
     * The levels' loads as of now, and until when they hold: the ejections counted, and the soonest moment an ejected
     * endpoint of these levels comes back (never, without outlier detection or an ejection).
     */
    private record PriorityLoads(double[] cumulative, long ejections, long validUntilNanos) {

        boolean current(OutlierDetector detector) {
            return detector == null || (detector.ejections() == ejections && System.nanoTime() - validUntilNanos < 0);
        }
    }

    /**
     * Each level's health is its endpoints that are healthy and not ejected, as Envoy counts an outlier-ejected host
     * unhealthy for priority load: so ejections fail a level's traffic over as readiness does.
     */
    private PriorityLoads priorityLoads() {
        long ejectionsSeen = detector == null ? 0 : detector.ejections();
        long now = System.nanoTime();
        long comesBack = Long.MAX_VALUE;
        double[] shares = new double[allInLevel.size()];
        for (int i = 0; i < shares.length; i++) {
            int serving = 0;
            for (EndpointConfig endpoint : levels.get(i)) {
                long ejectedFor = outliers == null ? 0 : outliers.get(endpoint).ejectedForNanos();
                if (ejectedFor == 0) {
                    serving++;
                } else {
                    comesBack = Math.min(comesBack, ejectedFor);
                }
            }
            shares[i] = (double) serving / allInLevel.get(i).size();
        }
        double[] levelLoads = priorityLoads(shares);
        double[] cumulative = new double[levelLoads.length];
        double sum = 0;
        for (int i = 0; i < levelLoads.length; i++) {
            sum += levelLoads[i];
            cumulative[i] = sum;
        }
        return new PriorityLoads(cumulative, ejectionsSeen,
                comesBack == Long.MAX_VALUE ? now + Long.MAX_VALUE / 2 : now + comesBack);
    }

    /**
     * Envoy's priority load: each level's health is its healthy share × {@link #OVERPROVISIONING} (at most 100%);
     * level 0 takes its health, each next level what is left up to its own; when the levels' health adds up to
     * less than 100% the loads are scaled up to 100% (no traffic is dropped while any endpoint is healthy).
     *
     * @param healthyShares per level (0 first), its healthy endpoints / all its endpoints
     * @return per level, its share of requests (0..1); all 0 when no endpoint is healthy
     */
    static double[] priorityLoads(double[] healthyShares) {
        double[] health = new double[healthyShares.length];
        double total = 0;
        for (int i = 0; i < health.length; i++) {
            health[i] = Math.min(1.0, healthyShares[i] * OVERPROVISIONING);
            total += health[i];
        }
        double[] loads = new double[health.length];
        if (total == 0) {
            return loads;
        }
        double normalized = Math.min(1.0, total);
        double left = 1.0;
        for (int i = 0; i < health.length; i++) {
            loads[i] = Math.max(0, Math.min(left, health[i] / normalized));
            left -= loads[i];
        }
        return loads;
    }

    public ClusterConfig cluster() {
        return cluster;
    }

    /** A healthy endpoint, or null when the cluster has none. */
    public EndpointConfig pick() {
        if (!levels.isEmpty()) {
            return pickByPriority();
        }
        return pick(healthy, next);
    }

    /** A level by the priority loads, then an endpoint in it. */
    private EndpointConfig pickByPriority() {
        PriorityLoads now = loads;
        if (!now.current(detector)) {
            now = priorityLoads();
            loads = now;
        }
        double[] cumulativeLoad = now.cumulative();
        double r = ThreadLocalRandom.current().nextDouble() * cumulativeLoad[cumulativeLoad.length - 1];
        for (int i = 0; i < cumulativeLoad.length; i++) {
            if (r < cumulativeLoad[i] && !levels.get(i).isEmpty()) {
                return pick(levels.get(i), nextInLevel[i]);
            }
        }
        return pick(healthy, next); // no level has load (nothing healthy) or rounding: any healthy endpoint
    }

    private EndpointConfig pick(List<EndpointConfig> healthy, AtomicInteger next) {
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
            EndpointConfig less = counter(a).get() <= counter(b).get() ? a : b;
            if (outliers == null || !ejected(less)) {
                return less;
            }
            EndpointConfig other = less == a ? b : a;
            return ejected(other) ? inRotation(healthy, random.nextInt(size), less) : other;
        }
        int at = Math.floorMod(next.getAndIncrement(), size);
        EndpointConfig picked = healthy.get(at);
        return outliers == null || !ejected(picked) ? picked : inRotation(healthy, at, picked);
    }

    private boolean ejected(EndpointConfig endpoint) {
        return outliers.get(endpoint).ejected();
    }

    /** The first endpoint from {@code at} on that is not ejected; {@code fallback} when all are (as Envoy's panic). */
    private EndpointConfig inRotation(List<EndpointConfig> endpoints, int at, EndpointConfig fallback) {
        for (int i = 1; i < endpoints.size(); i++) {
            EndpointConfig endpoint = endpoints.get((at + i) % endpoints.size());
            if (!ejected(endpoint)) {
                return endpoint;
            }
        }
        return fallback;
    }

    /**
     * The outcome of a try on an endpoint this balancer picked, for outlier detection: the response's status, 503 for
     * a connect failure or a reset before any response, 504 for a per-try timeout.
     */
    public void outcome(EndpointConfig endpoint, int status) {
        if (outliers != null) {
            OutlierDetector.Host host = outliers.get(endpoint);
            if (host != null) {
                host.result(status);
            }
        }
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
