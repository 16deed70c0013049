package io.meshwork.proxy.cluster;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The retries in flight to one cluster, shared by every event loop and kept across configs (so a config change does
 * not reset the count), and what they came to: retries started ({@code upstream_rq_retry}) and retries refused
 * because the {@link RetryLimit} was reached ({@code upstream_rq_retry_overflow}, Envoy's names).
 */
public final class RetryBudget {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder retries = new LongAdder();
    private final LongAdder overflows = new LongAdder();

    /**
     * Takes a place for one retry while {@code activeRequests} requests are in flight to the cluster; false (and
     * counted as an overflow) when the limit is reached. A place taken is given back with {@link #release()}.
     */
    public boolean tryAcquire(RetryLimit limit, int activeRequests) {
        int allowed = limit.allowed(activeRequests);
        while (true) {
            int current = inFlight.get();
            if (current >= allowed) {
                overflows.increment();
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                retries.increment();
                return true;
            }
        }
    }

    public void release() {
        inFlight.decrementAndGet();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public long retries() {
        return retries.sum();
    }

    public long overflows() {
        return overflows.sum();
    }
}
