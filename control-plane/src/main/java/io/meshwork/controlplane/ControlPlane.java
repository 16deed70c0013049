package io.meshwork.controlplane;

import io.meshwork.controlplane.admin.AdminServer;
import io.meshwork.controlplane.xds.AdsServer;
import io.meshwork.controlplane.xds.GroupKeys;
import io.meshwork.controlplane.xds.GroupValidator;
import io.meshwork.controlplane.xds.ResourceGenerator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control plane process: a snapshot source feeding the xDS server (through the resource
 * generator), and the admin endpoint beside it.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final MeshSnapshotSource source;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AdsServer ads;
    private final AdminServer admin;

    /** Where to listen; port 0 picks a free port. */
    public record Options(String address, int xdsPort, int adminPort) {
        public static final int DEFAULT_XDS_PORT = 15010;
        public static final int DEFAULT_ADMIN_PORT = 15014;
    }

    /** What turns the mesh model into proxy config: the translator plugs in here. */
    public record Translation(ResourceGenerator generator, GroupKeys groupKeys, GroupValidator validator) {
    }

    public ControlPlane(Options options, MeshSnapshotSource source, Translation translation) {
        this.source = source;
        this.ads = new AdsServer(new InetSocketAddress(options.address(), options.xdsPort()), translation.generator(),
                translation.groupKeys(), translation.validator(), meters);
        this.admin = new AdminServer(new InetSocketAddress(options.address(), options.adminPort()),
                this::ready, () -> ads.proxies().proxies(), meters);
    }

    /** Starts the xDS server, the admin endpoint, then the source; logs one line once listening. */
    public ControlPlane start() throws Exception {
        ads.start();
        admin.start();
        source.start(ads, ads.metrics()::configError);
        LOG.info("control plane ready: xDS on {}:{}, admin on http://{}:{}", ads.host(), ads.port(), ads.host(),
                admin.port());
        return this;
    }

    /** Ready once the first config is loaded and the xDS server is listening, while the source is healthy. */
    public boolean ready() {
        return ads.hasConfig() && ads.listening() && source.healthy();
    }

    /** The registry /metrics serves; other servers of this process (the CA) count into it. */
    public io.micrometer.core.instrument.MeterRegistry meters() {
        return meters;
    }

    public AdsServer ads() {
        return ads;
    }

    public int xdsPort() {
        return ads.port();
    }

    public int adminPort() {
        return admin.port();
    }

    @Override
    public void close() throws Exception {
        try (source; admin) {
            ads.close();
        }
    }
}
