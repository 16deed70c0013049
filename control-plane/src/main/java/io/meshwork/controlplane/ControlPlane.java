package io.meshwork.controlplane;

import io.meshwork.controlplane.admin.AdminServer;
import io.meshwork.controlplane.ca.IssuedCertificates;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.TrustBundle;
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
    private final IssuedCertificates issuedCertificates = new IssuedCertificates();
    /** What sources deliver, before the CA's trust is added to it; null before the first. */
    private MeshSnapshot lastFromSource;
    private TrustBundle trust = TrustBundle.NONE;

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
                this::ready, () -> ads.proxies().proxies(), meters, AdminServer.DEFAULT_REQUEST_TIMEOUT,
                AdminServer.DEFAULT_MAX_CONNECTIONS, issuedCertificates);
    }

    /** What the admin endpoint's {@code /debug/clusters} answers (a multi-cluster control plane's remotes). */
    public void debugClusters(java.util.function.Supplier<String> json) {
        admin.debugClusters(json);
    }

    /** The ADS service, which the CA's TLS port also serves to sidecars that authenticate. */
    public io.grpc.BindableService aggregatedDiscoveryService() {
        return ads.aggregatedService();
    }

    /** Where the CA records what it issues, so {@code /debug/proxies} shows each proxy's certificate expiry. */
    public IssuedCertificates issuedCertificates() {
        return issuedCertificates;
    }

    /** Starts the xDS server, the admin endpoint, then the source; logs one line once listening. */
    public ControlPlane start() throws Exception {
        ads.start();
        admin.start();
        source.start(this::accept, ads.metrics()::configError);
        LOG.info("control plane ready: xDS on {}:{}, admin on http://{}:{}", ads.host(), ads.port(), ads.host(),
                admin.port());
        return this;
    }

    /**
     * The CA's trust domain and roots: from now on every snapshot carries them, so sidecars use mutual
     * TLS. A new bundle (a root rotation adds the new root beside the old one, then drops the old) is
     * pushed at once.
     */
    public synchronized void trust(TrustBundle bundle) {
        trust = bundle;
        if (lastFromSource != null) {
            accept(lastFromSource);
        }
    }

    /** Under the lock, so that a snapshot and a new trust bundle cannot overtake each other on the way to the ADS server. */
    private synchronized void accept(MeshSnapshot snapshot) {
        lastFromSource = snapshot;
        ads.accept(snapshot.withTrust(trust));
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
