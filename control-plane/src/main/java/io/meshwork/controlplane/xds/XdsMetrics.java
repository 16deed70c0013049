package io.meshwork.controlplane.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The control plane's own meters; in Prometheus text they read {@code mesh_controlplane_connected_proxies},
 * {@code _pushes_total}, {@code _push_latency_seconds}, {@code _nacks_total}, {@code _config_errors_total}.
 */
public final class XdsMetrics {

    private final Counter pushes;
    private final Counter nacks;
    private final Counter configErrors;
    private final Timer pushLatency;

    public XdsMetrics(MeterRegistry registry, Supplier<Number> connectedProxies) {
        Gauge.builder("mesh.controlplane.connected.proxies", connectedProxies)
                .description("xDS streams with a known node")
                .register(registry);
        pushes = Counter.builder("mesh.controlplane.pushes")
                .description("xDS responses sent, SotW and delta")
                .register(registry);
        nacks = Counter.builder("mesh.controlplane.nacks")
                .description("xDS requests that rejected a response (error_detail set)")
                .register(registry);
        configErrors = Counter.builder("mesh.controlplane.config.errors")
                .description("configs rejected: bad input, or a generated snapshot that failed validation")
                .register(registry);
        // Explicit buckets: a push is expected within a second, so resolve milliseconds to seconds.
        pushLatency = Timer.builder("mesh.controlplane.push.latency")
                .description("from a new mesh snapshot to a proxy's ACK of the resulting version")
                .serviceLevelObjectives(ms(1), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500),
                        ms(1000), ms(2500), ms(5000), ms(10000))
                .register(registry);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    void push() {
        pushes.increment();
    }

    void nack() {
        nacks.increment();
    }

    /** Counts a rejected config; the config source calls this for input it could not accept. */
    public void configError() {
        configErrors.increment();
    }

    void pushLatency(long nanos) {
        pushLatency.record(Duration.ofNanos(nanos));
    }
}
