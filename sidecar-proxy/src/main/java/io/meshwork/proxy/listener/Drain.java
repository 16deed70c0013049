package io.meshwork.proxy.listener;

import java.util.concurrent.atomic.AtomicInteger;

/** Counts requests and TCP connections in flight, and whether the sidecar is draining. */
public final class Drain {

    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean draining;

    public void begin() {
        active.incrementAndGet();
    }

    public void end() {
        active.decrementAndGet();
    }

    public int active() {
        return active.get();
    }

    public boolean draining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }
}
