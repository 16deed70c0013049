package io.meshwork.proxy.cluster;

/**
 * The circuit breaker limit a request ran into: its value of the {@code x-mesh-overflow} header on the sidecar's 503,
 * and the counter it is added to on {@code /stats} (Envoy's names, but for {@code upstream_rq_overflow}: Envoy counts
 * {@code max_requests} under {@code upstream_rq_pending_overflow} too; the sidecar keeps them apart).
 */
public enum Overflow {
    MAX_CONNECTIONS("max_connections", "upstream_cx_overflow"),
    MAX_PENDING_REQUESTS("max_pending_requests", "upstream_rq_pending_overflow"),
    MAX_REQUESTS("max_requests", "upstream_rq_overflow"),
    MAX_RETRIES("max_retries", "upstream_rq_retry_overflow");

    private final String limit;
    private final String stat;

    Overflow(String limit, String stat) {
        this.limit = limit;
        this.stat = stat;
    }

    /** The threshold's field name, e.g. {@code max_requests}. */
    public String limit() {
        return limit;
    }

    /** The per-cluster counter on {@code /stats}, e.g. {@code upstream_cx_overflow}. */
    public String stat() {
        return stat;
    }
}
