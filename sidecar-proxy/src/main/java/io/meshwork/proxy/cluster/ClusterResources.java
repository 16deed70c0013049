package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.ConnectionGate;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one cluster has in use against its {@link Thresholds} (Envoy's resource manager): connections, pending
 * requests, requests, and retries ({@link RetryBudget}), shared by every event loop and kept across configs, so a
 * config change neither resets a count nor lets a new limit start from zero. Each permit is a compare-and-set on a
 * counter against the limit of the config now in effect: taken or refused at once, never waited for. (Resilience4j's
 * SemaphoreBulkhead would not do: shrinking its limit while permits are out blocks the config thread until they come
 * back, and a new bulkhead per config would forget the requests in flight.) Refusals are counted per limit.
 */
public final class ClusterResources implements ConnectionGate {

    private volatile Thresholds thresholds;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final RetryBudget retries = new RetryBudget();
    private final Map<Overflow, LongAdder> overflows = new EnumMap<>(Overflow.class);

    public ClusterResources(Thresholds thresholds) {
        this.thresholds = thresholds;
        for (Overflow overflow : Overflow.values()) {
            overflows.put(overflow, new LongAdder());
        }
    }

    /** The limits of the config now in effect (the counts stay). */
    public void thresholds(Thresholds next) {
        thresholds = next;
    }

    public Thresholds thresholds() {
        return thresholds;
    }

    /** A request to the cluster begins: false (and counted) at {@code max_requests}; else {@link #requestDone()} later. */
    public boolean tryRequest() {
        return tryTake(requests, thresholds.maxRequests(), Overflow.MAX_REQUESTS);
    }

    public void requestDone() {
        requests.decrementAndGet();
    }

    /** A request waits for a connection: false (and counted) at {@code max_pending_requests}; else {@link #pendingDone()}. */
    public boolean tryPending() {
        return tryTake(pending, thresholds.maxPendingRequests(), Overflow.MAX_PENDING_REQUESTS);
    }

    public void pendingDone() {
        pending.decrementAndGet();
    }

    @Override
    public boolean tryOpen(boolean firstOfPool) {
        if (firstOfPool) {
            connections.incrementAndGet();
            return true;
        }
        return tryTake(connections, thresholds.maxConnections(), Overflow.MAX_CONNECTIONS);
    }

    @Override
    public void closed() {
        connections.decrementAndGet();
    }

    /** The retries in flight and what they came to. */
    public RetryBudget retries() {
        return retries;
    }

    /** How often {@code limit} refused; retries' from the {@link RetryBudget}. */
    public long overflows(Overflow limit) {
        return limit == Overflow.MAX_RETRIES ? retries.overflows() : overflows.get(limit).sum();
    }

    public int connections() {
        return connections.get();
    }

    public int pendingRequests() {
        return pending.get();
    }

    public int requests() {
        return requests.get();
    }

    private boolean tryTake(AtomicInteger counter, int limit, Overflow overflow) {
        while (true) {
            int current = counter.get();
            if (current >= limit) {
                overflows.get(overflow).increment();
                return false;
            }
            if (counter.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }
}
