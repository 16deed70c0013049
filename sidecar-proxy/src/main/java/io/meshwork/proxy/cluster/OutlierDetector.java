package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Outlier detection of one cluster, kept across configs by endpoint ({@code host:port}) and shared by every event
 * loop: each try's outcome is told to the endpoint's {@link Host}; consecutive errors past the config's counts eject
 * it at once, for {@code baseEjectionTime} × its ejections (Envoy's rule, at most {@code maxEjectionTime}), unless
 * {@code maxEjectionPercent} of the endpoints are already out (one always may be). The {@link LoadBalancer} skips an
 * ejected endpoint; it returns when its time is over (Envoy returns it at the next sweep of {@code interval}), and
 * each {@code interval} it then stays in takes one from its ejection count. With success-rate ejection, each try's
 * outcome is also counted, and at the end of each {@code interval} (taken by the first outcome after it) endpoints whose
 * success rate lies too far below the others' are ejected as Envoy computes it. No timer and no lock on the request
 * path: an ejection and a sweep (rare) are decided under the detector's lock.
 */
public final class OutlierDetector {

    /** Why an endpoint was ejected, as Envoy's counters name it. */
    public enum Reason {
        CONSECUTIVE_5XX("consecutive_5xx"), CONSECUTIVE_GATEWAY_FAILURE("consecutive_gateway_failure"),
        SUCCESS_RATE("success_rate");

        private final String stat;

        Reason(String stat) {
            this.stat = stat;
        }

        public String stat() {
            return stat;
        }
    }

    /** One endpoint's record: its errors in a row, and until when it is out. */
    public final class Host {

        private final AtomicInteger consecutive5xx = new AtomicInteger();
        private final AtomicInteger consecutiveGateway = new AtomicInteger();
        /** This interval's tries and successes (non-5xx), for success-rate ejection. */
        private final LongAdder tries = new LongAdder();
        private final LongAdder successes = new LongAdder();
        private volatile long ejectedUntil;
        private int ejections;

        /** Whether the load balancer passes over it now. */
        public boolean ejected() {
            long until = ejectedUntil;
            return until != 0 && System.nanoTime() - until < 0;
        }

        /** Nanoseconds of ejection left, 0 when in. */
        public long ejectedForNanos() {
            long left = ejectedUntil - System.nanoTime();
            return ejectedUntil != 0 && left > 0 ? left : 0;
        }

        /** The outcome of a try on this endpoint: its response status, 503 for a connect failure or a reset. */
        public void result(int status) {
            OutlierDetection config = OutlierDetector.this.config;
            if (config.successRate() != null) {
                tries.increment();
                if (status < 500) {
                    successes.increment();
                }
                sweepIfDue(System.nanoTime());
            }
            if (status < 500) {
                consecutive5xx.set(0);
                consecutiveGateway.set(0);
                return;
            }
            int errors = consecutive5xx.incrementAndGet();
            int gateway = status >= 502 && status <= 504 ? consecutiveGateway.incrementAndGet() : 0;
            if (gateway == 0) {
                consecutiveGateway.set(0);
            }
            if (config.consecutive5xx() > 0 && errors >= config.consecutive5xx()) {
                eject(this, Reason.CONSECUTIVE_5XX);
            } else if (config.consecutiveGatewayErrors() > 0 && gateway >= config.consecutiveGatewayErrors()) {
                eject(this, Reason.CONSECUTIVE_GATEWAY_FAILURE);
            }
        }
    }

    private volatile OutlierDetection config;
    private final java.util.concurrent.atomic.AtomicLong ejections = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, Host> hosts = new ConcurrentHashMap<>();
    /** The endpoints of the config now in effect: what max_ejection_percent is a share of. */
    private volatile java.util.Set<String> current = java.util.Set.of();
    private final Map<Reason, LongAdder> enforced = new EnumMap<>(Reason.class);
    private final LongAdder overflows = new LongAdder();
    /** When the next success-rate sweep is due (System.nanoTime); taken by the first outcome after it. */
    private final java.util.concurrent.atomic.AtomicLong nextSweep = new java.util.concurrent.atomic.AtomicLong();
    private final LongAdder successRateDetected = new LongAdder();

    public OutlierDetector(OutlierDetection config) {
        this.config = config;
        nextSweep.set(System.nanoTime() + config.interval().toNanos());
        for (Reason reason : Reason.values()) {
            enforced.put(reason, new LongAdder());
        }
    }

    /** A new config of the cluster: its settings and endpoints (the records of endpoints it keeps stay). */
    public void update(OutlierDetection next, Collection<EndpointConfig> endpoints) {
        if (!next.interval().equals(config.interval())) {
            nextSweep.set(System.nanoTime() + next.interval().toNanos());
        }
        config = next;
        current = endpoints.stream().map(EndpointConfig::hostPort).collect(java.util.stream.Collectors.toUnmodifiableSet());
        hosts.keySet().retainAll(current);
    }

    public OutlierDetection config() {
        return config;
    }

    /** The record of {@code endpoint}, made on first use. */
    public Host host(EndpointConfig endpoint) {
        return hosts.computeIfAbsent(endpoint.hostPort(), key -> new Host());
    }

    /** The record of the endpoint at {@code hostPort}, or null when it has none. */
    public Host hostAt(String hostPort) {
        return hosts.get(hostPort);
    }

    private synchronized void eject(Host host, Reason reason) {
        long now = System.nanoTime();
        if (host.ejected()) {
            return;
        }
        int active = ejectedNow();
        if (active > 0 && (active + 1) * 100L > (long) config.maxEjectionPercent() * current.size()) {
            overflows.increment();
            return;
        }
        if (host.ejectedUntil != 0) {
            // Each interval in since its last return takes one from its ejection count.
            long inFor = now - host.ejectedUntil;
            host.ejections = (int) Math.max(0, host.ejections - inFor / Math.max(1, config.interval().toNanos()));
        }
        host.ejections++;
        long time = Math.min(config.baseEjectionTime().toNanos() * host.ejections,
                Math.max(config.maxEjectionTime().toNanos(), config.baseEjectionTime().toNanos()));
        host.ejectedUntil = now + time;
        ejections.incrementAndGet();
        host.consecutive5xx.set(0);
        host.consecutiveGateway.set(0);
        enforced.get(reason).increment();
    }

    /**
     * Runs the success-rate sweep when its interval is over: the first outcome after the interval's end takes it (no
     * timer; with no outcomes there is nothing to compare). Its counts are the outcomes since the previous sweep.
     */
    void sweepIfDue(long now) {
        long due = nextSweep.get();
        if (now - due >= 0 && nextSweep.compareAndSet(due, now + config.interval().toNanos())) {
            sweepSuccessRates();
        }
    }

    /**
     * Envoy's success-rate ejection over the interval just ended: every endpoint's counts start again; of the endpoints
     * not ejected, those with at least {@code requestVolume} tries qualify; when at least {@code minimumHosts} do, each
     * whose success rate (percent) is below mean − stdevFactor/1000 × the standard deviation (of the qualifying rates,
     * over their number) is ejected, within {@code maxEjectionPercent}.
     */
    synchronized void sweepSuccessRates() {
        OutlierDetection.SuccessRate rule = config.successRate();
        List<Host> qualified = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        for (String hostPort : current) {
            Host host = hosts.get(hostPort);
            if (host == null) {
                continue;
            }
            long tries = host.tries.sumThenReset();
            long successes = host.successes.sumThenReset();
            if (rule == null || host.ejected() || tries == 0 || tries < rule.requestVolume()) {
                continue;
            }
            qualified.add(host);
            rates.add(100.0 * Math.min(successes, tries) / tries);
        }
        if (rule == null || qualified.isEmpty() || qualified.size() < rule.minimumHosts()) {
            return;
        }
        double mean = rates.stream().mapToDouble(Double::doubleValue).sum() / rates.size();
        double variance = rates.stream().mapToDouble(rate -> (rate - mean) * (rate - mean)).sum() / rates.size();
        double threshold = mean - rule.stdevFactor() / 1000.0 * Math.sqrt(variance);
        for (int i = 0; i < qualified.size(); i++) {
            if (rates.get(i) < threshold) {
                successRateDetected.increment();
                eject(qualified.get(i), Reason.SUCCESS_RATE);
            }
        }
    }

    /** Endpoints success-rate ejection found below the threshold (ejected or, past max_ejection_percent, not). */
    public long successRateDetected() {
        return successRateDetected.sum();
    }

    /** How many ejections have been made: a balancer whose levels' health counts ejections rereads it when this moves. */
    public long ejections() {
        return ejections.get();
    }

    /** Endpoints ejected now. */
    public int ejectedNow() {
        int count = 0;
        for (String hostPort : current) {
            Host host = hosts.get(hostPort);
            if (host != null && host.ejected()) {
                count++;
            }
        }
        return count;
    }

    /** Ejections made for {@code reason}. */
    public long enforced(Reason reason) {
        return enforced.get(reason).sum();
    }

    /** Ejections made for any reason. */
    public long enforcedTotal() {
        return enforced.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Ejections not made because max_ejection_percent was reached. */
    public long overflows() {
        return overflows.sum();
    }
}
