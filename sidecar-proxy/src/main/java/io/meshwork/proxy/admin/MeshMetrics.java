package io.meshwork.proxy.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The sidecar's Prometheus metrics, Istio-style names. Meters are cached per label set so the hot
 * path is one map lookup and two increments.
 */
public final class MeshMetrics {

    private static final double[] BUCKETS_MS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final String sourceWorkload;
    private final ConcurrentHashMap<RequestLabels, Series> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter[]> tcp = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> decisions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> handshakes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> mirrors = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> faults = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rateLimited = new ConcurrentHashMap<>();
    /** The HTTP filters' counters by their Envoy names, kept across configs, for the admin's {@code /stats}. */
    private final ConcurrentHashMap<String, LongAdder> filterStats = new ConcurrentHashMap<>();
    private final LongAdder totalRequests = new LongAdder();
    private final LongAdder failedRequests = new LongAdder();

    /** The labels of one request series. */
    private record RequestLabels(String service, String workload, String version, int code) {
    }

    /** The meters of one request series; a handler may keep it for the next request of the same labels. */
    public record Series(Counter count, DistributionSummary duration, LongAdder total, LongAdder failed, int code) {

        /** Records one finished request of this series. */
        public void record(long nanos) {
            count.increment();
            duration.record(nanos / 1_000_000.0);
            total.increment();
            if (code >= 500) {
                failed.increment();
            }
        }
    }

    public MeshMetrics(String sourceWorkload) {
        this.sourceWorkload = sourceWorkload;
    }

    /** Records one finished request (also the ones the sidecar answered itself). */
    public void request(String service, String workload, String version, int code, long nanos) {
        series(service, workload, version, code).record(nanos);
    }

    /** The series of requests with these labels, registered on first use. */
    public Series series(String service, String workload, String version, int code) {
        return requests.computeIfAbsent(new RequestLabels(service, workload, version, code), this::meters);
    }

    private Series meters(RequestLabels labels) {
        String[] tags = {"source_workload", sourceWorkload, "destination_service", labels.service(),
                "destination_workload", labels.workload(), "destination_version", labels.version(),
                "response_code", Integer.toString(labels.code())};
        return new Series(Counter.builder("mesh.requests").tags(tags).register(registry),
                DistributionSummary.builder("mesh.request.duration").baseUnit("milliseconds").tags(tags)
                        .serviceLevelObjectives(BUCKETS_MS).register(registry), totalRequests, failedRequests,
                labels.code());
    }

    /**
     * Counts one shadow of a mirrored request as it ended, {@code mesh_mirrored_requests_total} by destination
     * service and the status it got (0: no answer: failed, cut or dropped). Shadows are not client requests, so they
     * stay out of {@code mesh_requests_total}.
     */
    public void mirrored(String service, int code) {
        mirrors.computeIfAbsent(service + " " + code, key -> Counter.builder("mesh.mirrored.requests")
                .tags("source_workload", sourceWorkload, "destination_service", service,
                        "response_code", Integer.toString(code)).register(registry)).increment();
    }

    /**
     * One fault the fault filter injected: Envoy's {@code http.<stat_prefix>.fault.aborts_injected} or
     * {@code delays_injected} on {@code /stats}, and {@code mesh_fault_injections_total{destination_service, fault}}
     * ({@code abort}, {@code delay}) on 15090.
     */
    public void faultInjected(String statPrefix, String service, boolean abort) {
        String fault = abort ? "abort" : "delay";
        filterStat("http." + statPrefix + ".fault." + (abort ? "aborts_injected" : "delays_injected")).increment();
        faults.computeIfAbsent(service + '\n' + fault, key -> Counter.builder("mesh.fault.injections")
                .tags("source_workload", sourceWorkload, "destination_service", service, "fault", fault)
                .register(registry)).increment();
    }

    /**
     * One request a local rate limit looked at: Envoy's {@code <stat_prefix>.http_local_rate_limit.ok} or
     * {@code rate_limited} on {@code /stats}; the refused ones also as
     * {@code mesh_rate_limited_requests_total{listener}} on 15090.
     */
    public void rateLimit(String statPrefix, String listener, boolean limited) {
        filterStat(statPrefix + ".http_local_rate_limit." + (limited ? "rate_limited" : "ok")).increment();
        if (limited) {
            rateLimited.computeIfAbsent(listener, key -> Counter.builder("mesh.rate.limited.requests")
                    .tags("source_workload", sourceWorkload, "listener", listener).register(registry)).increment();
        }
    }

    private LongAdder filterStat(String name) {
        LongAdder adder = filterStats.get(name);
        return adder != null ? adder : filterStats.computeIfAbsent(name, key -> new LongAdder());
    }

    /** The HTTP filters' counters by Envoy's names, sorted. */
    public java.util.SortedMap<String, Long> filterStats() {
        java.util.SortedMap<String, Long> stats = new java.util.TreeMap<>();
        filterStats.forEach((name, adder) -> stats.put(name, adder.sum()));
        return stats;
    }

    /** Records bytes a TCP proxy sent upstream and received back, for one destination service. */
    public void tcpBytes(String service, long sent, long received) {
        Counter[] counters = tcp.computeIfAbsent(service, key -> new Counter[] {
            Counter.builder("mesh.tcp.sent.bytes").tags("source_workload", sourceWorkload, "destination_service", key)
                    .register(registry),
            Counter.builder("mesh.tcp.received.bytes").tags("source_workload", sourceWorkload,
                    "destination_service", key).register(registry)});
        counters[0].increment(sent);
        counters[1].increment(received);
    }

    /**
     * One inbound mutual TLS handshake: {@code mesh_inbound_tls_handshakes_total{listener, result}} with result
     * {@code ok} or {@code refused} (no certificate, or one not chained to the mesh's roots: the peer got an alert), as
     * Envoy's {@code ssl.handshake} and {@code ssl.connection_error}; why a refused one failed is logged at debug.
     */
    public void inboundTlsHandshake(String listener, boolean ok) {
        handshakes.computeIfAbsent(listener + '\n' + ok, key -> Counter.builder("mesh.inbound.tls.handshakes")
                .tags("listener", listener, "result", ok ? "ok" : "refused").register(registry)).increment();
    }

    /**
     * One authorization decision: {@code mesh_authorization_decisions_total{source_identity,
     * destination_identity, decision}} ({@code none} for a plaintext peer or a sidecar without identity).
     */
    public void authorization(String source, String destination, boolean allowed) {
        String from = source == null ? "none" : source;
        String to = destination == null ? "none" : destination;
        String decision = allowed ? "allow" : "deny";
        // One lookup per decision instead of a meter builder and registry search on each request.
        decisions.computeIfAbsent(from + '\n' + to + '\n' + decision, key -> Counter.builder("mesh.authorization.decisions")
                .tags("source_identity", from, "destination_identity", to, "decision", decision)
                .register(registry)).increment();
    }

    /**
     * Publishes a cluster's counters: {@code mesh_upstream_retries_total} (retries started),
     * {@code mesh_upstream_retry_overflow_total} (retries the budget refused) and
     * {@code mesh_upstream_overflow_total{limit}} (requests refused by each circuit breaker limit: max_connections,
     * max_pending_requests, max_requests, max_retries), by cluster and destination service.
     */
    public void clusterResources(io.meshwork.proxy.cluster.ClusterConfig cluster,
                                 io.meshwork.proxy.cluster.ClusterResources resources) {
        String[] tags = {"source_workload", sourceWorkload, "cluster_name", cluster.name(),
                "destination_service", cluster.service()};
        io.meshwork.proxy.cluster.RetryBudget budget = resources.retries();
        io.micrometer.core.instrument.FunctionCounter.builder("mesh.upstream.retries", budget,
                io.meshwork.proxy.cluster.RetryBudget::retries).tags(tags).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("mesh.upstream.retry.overflow", budget,
                io.meshwork.proxy.cluster.RetryBudget::overflows).tags(tags).register(registry);
        for (io.meshwork.proxy.cluster.Overflow overflow : io.meshwork.proxy.cluster.Overflow.values()) {
            io.micrometer.core.instrument.FunctionCounter.builder("mesh.upstream.overflow", resources,
                    r -> r.overflows(overflow)).tags(tags).tag("limit", overflow.limit()).register(registry);
        }
    }

    /**
     * Publishes a cluster's outlier detection: {@code mesh_outlier_ejections_total{reason}} (consecutive_5xx, success_rate,
     * consecutive_gateway_failure) and {@code mesh_outlier_ejections_active}, by cluster and destination service.
     */
    public void outlierDetector(io.meshwork.proxy.cluster.ClusterConfig cluster,
                                io.meshwork.proxy.cluster.OutlierDetector detector) {
        String[] tags = {"source_workload", sourceWorkload, "cluster_name", cluster.name(),
                "destination_service", cluster.service()};
        for (io.meshwork.proxy.cluster.OutlierDetector.Reason reason : io.meshwork.proxy.cluster.OutlierDetector.Reason.values()) {
            io.micrometer.core.instrument.FunctionCounter.builder("mesh.outlier.ejections", detector,
                    d -> d.enforced(reason)).tags(tags).tag("reason", reason.stat()).register(registry);
        }
        io.micrometer.core.instrument.Gauge.builder("mesh.outlier.ejections.active", detector,
                io.meshwork.proxy.cluster.OutlierDetector::ejectedNow).tags(tags).register(registry);
    }

    public long totalRequests() {
        return totalRequests.sum();
    }

    public long failedRequests() {
        return failedRequests.sum();
    }

    public String scrape() {
        return registry.scrape();
    }
}
