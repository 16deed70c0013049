package io.meshwork.proxy.xds;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Holds the config the data plane runs on: one volatile reference, swapped whole. Also records
 * whether the control plane is reachable, for {@code /ready} details.
 */
public final class ConfigStore {

    private volatile ProxyConfig current = ProxyConfig.EMPTY;
    private volatile boolean complete;
    private volatile boolean controlPlaneConnected;
    private volatile Instant lastUpdate;
    private volatile String lastRejection;
    private final List<Consumer<ProxyConfig>> subscribers = new CopyOnWriteArrayList<>();

    public ProxyConfig current() {
        return current;
    }

    /** True once a complete config has been applied; stays true while the control plane is away. */
    public boolean hasCompleteConfig() {
        return complete;
    }

    public boolean controlPlaneConnected() {
        return controlPlaneConnected;
    }

    public Instant lastUpdate() {
        return lastUpdate;
    }

    public String lastRejection() {
        return lastRejection;
    }

    /** Registers a callback run after each swap, with the new config (old one is then garbage). */
    public void subscribe(Consumer<ProxyConfig> subscriber) {
        subscribers.add(subscriber);
    }

    /** Replaces the whole config at once; callers only pass complete configs. */
    public void apply(ProxyConfig config) {
        current = config;
        complete = true;
        lastUpdate = Instant.now();
        for (Consumer<ProxyConfig> subscriber : subscribers) {
            subscriber.accept(config);
        }
    }

    void controlPlaneConnected(boolean connected) {
        controlPlaneConnected = connected;
    }

    void rejected(String detail) {
        lastRejection = detail;
    }
}
