package io.meshwork.proxy;

import io.meshwork.proxy.admin.AdminOrigin;
import io.meshwork.proxy.admin.AdminServer;
import io.meshwork.proxy.admin.AdminServer.Reply;
import io.meshwork.proxy.admin.AppProber;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.admin.ConfigSummary;
import io.meshwork.proxy.admin.EnvoyConfigDump;
import io.meshwork.proxy.admin.MeshMetrics;
import io.meshwork.proxy.cluster.ClusterManager;
import io.meshwork.proxy.cluster.OutlierDetector;
import io.meshwork.proxy.cluster.Overflow;
import io.meshwork.proxy.endpoint.UpstreamPools;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.tls.TlsContexts;
import io.meshwork.proxy.http.ProxyServices;
import io.meshwork.proxy.listener.Drain;
import io.meshwork.proxy.listener.ListenerManager;
import io.meshwork.proxy.listener.OriginalDestination;
import io.meshwork.proxy.listener.Transport;
import io.meshwork.proxy.xds.AdsClient;
import io.meshwork.proxy.xds.ConfigStore;
import io.meshwork.proxy.xds.NodeIdentity;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sidecar: the xDS client, the listeners it configures, and the admin, health and metrics
 * ports. Start it, and stop it with {@link #drainAndStop()} (SIGTERM, {@code /quitquitquit}).
 */
public final class SidecarProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SidecarProxy.class);
    /** Where the admin port listens unless told otherwise. */
    public static final String LOOPBACK = "127.0.0.1";

    /**
     * Everything `mesh proxy` takes; ports 0 pick free ones (tests).
     *
     * @param appProbes the app's kubelet probes the health port serves at {@code /app-health/...}
     * @param identity the sidecar's workload certificate for mutual TLS; null: plaintext only
     * @param adminBindAddress where the admin port (config dump, drain, quit) listens: loopback unless told,
     *     as Envoy's in Istio, while health and metrics listen on {@code bindAddress} for kubelet and Prometheus
     */
    public record Options(String xdsTarget, NodeIdentity node, String bindAddress, int outboundPort,
                          int inboundPort, int adminPort, int healthPort, int metricsPort, Duration drainTimeout,
                          int threads, AppProbes appProbes, WorkloadCertificateSource identity,
                          String adminBindAddress) {

        /** The admin port on loopback. */
        public Options(String xdsTarget, NodeIdentity node, String bindAddress, int outboundPort, int inboundPort,
                       int adminPort, int healthPort, int metricsPort, Duration drainTimeout, int threads,
                       AppProbes appProbes, WorkloadCertificateSource identity) {
            this(xdsTarget, node, bindAddress, outboundPort, inboundPort, adminPort, healthPort, metricsPort,
                    drainTimeout, threads, appProbes, identity, LOOPBACK);
        }

        /** Without a workload certificate. */
        public Options(String xdsTarget, NodeIdentity node, String bindAddress, int outboundPort, int inboundPort,
                       int adminPort, int healthPort, int metricsPort, Duration drainTimeout, int threads,
                       AppProbes appProbes) {
            this(xdsTarget, node, bindAddress, outboundPort, inboundPort, adminPort, healthPort, metricsPort,
                    drainTimeout, threads, appProbes, null);
        }

        /** Without app probes. */
        public Options(String xdsTarget, NodeIdentity node, String bindAddress, int outboundPort, int inboundPort,
                       int adminPort, int healthPort, int metricsPort, Duration drainTimeout, int threads) {
            this(xdsTarget, node, bindAddress, outboundPort, inboundPort, adminPort, healthPort, metricsPort,
                    drainTimeout, threads, AppProbes.none());
        }
    }

    private final Options options;
    private final Transport transport;
    private final ConfigStore store = new ConfigStore();
    private final ClusterManager clusters;
    private final Drain drain = new Drain();
    private final MeshMetrics metrics;
    private final TlsContexts tls;
    private final ProxyServices services;
    private final ListenerManager listeners;
    private final AdsClient ads;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    private AdminServer admin;
    private AdminServer health;
    private AdminServer prometheus;

    public SidecarProxy(Options options) {
        this(options, OriginalDestination.LOCAL_ADDRESS);
    }

    /** With iptables capture, {@code originalDestination} reads SO_ORIGINAL_DST; it picks filter chains. */
    public SidecarProxy(Options options, OriginalDestination originalDestination) {
        this.options = options;
        this.transport = Transport.create(options.threads());
        this.metrics = new MeshMetrics(options.node().workload());
        this.clusters = new ClusterManager(metrics::clusterResources, metrics::outlierDetector);
        this.tls = new TlsContexts(options.identity());
        UpstreamPools pools = new UpstreamPools(transport.socketChannel(), tls);
        this.services = new ProxyServices(clusters, pools, metrics, drain, transport, tls);
        this.listeners = new ListenerManager(services, options.bindAddress(), options.outboundPort(),
                options.inboundPort(), originalDestination);
        // Order matters: trust and routing state first, then pools drain what left, then listeners (re)bind.
        store.subscribe(tls::update);
        store.subscribe(clusters::update);
        store.subscribe(pools::update);
        store.subscribe(listeners::update);
        // Pointed at the CA's address, the ADS stream goes over its TLS with this workload's token (an authenticated
        // stream, served only this workload's config); else plaintext, as to 15010.
        var authenticated = options.identity() instanceof io.meshwork.proxy.identity.CaClient ca
                ? ca.xdsChannel(options.xdsTarget()) : java.util.Optional.<io.meshwork.proxy.identity.CaClient.AuthenticatedChannel>empty();
        this.ads = new AdsClient(options.xdsTarget(), options.node(), store, transport.group(), transport.socketChannel(),
                authenticated.map(io.meshwork.proxy.identity.CaClient.AuthenticatedChannel::tls).orElse(null),
                authenticated.map(io.meshwork.proxy.identity.CaClient.AuthenticatedChannel::credentials).orElse(null));
    }

    public SidecarProxy start() throws InterruptedException {
        // The ADS stream first: the control plane's answer and its conversion (the Envoy API's descriptors, loaded
        // on first touch) take longer than binding the three ports below, which go on meanwhile.
        ads.start();
        String host = options.bindAddress();
        admin = new AdminServer(transport, options.adminBindAddress(), options.adminPort(), this::admin);
        AppProber appProber = new AppProber(transport, options.appProbes());
        health = AdminServer.async(transport, host, options.healthPort(), request -> {
            String path = request.uri().split("\\?", 2)[0];
            return path.startsWith(AppProbes.PATH_PREFIX) ? appProber.probe(path)
                    : CompletableFuture.completedFuture(healthz(path));
        });
        prometheus = new AdminServer(transport, host, options.metricsPort(), request ->
                request.uri().startsWith("/stats/prometheus")
                        ? new Reply(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape())
                        : Reply.text(404, "try /stats/prometheus\n"));
        // Listeners bind when the config names them (each logged then); an inbound port is bound only
        // for a workload that has inbound listeners, so the ready line names none of them.
        LOG.info("{} {} ready ({}, TLS {}, identity {}): admin {}:{}, health {}:{} ({} app probes), metrics {}:{}, "
                        + "xDS {}; listeners bind as the config names them", options.node().isGateway() ? "Gateway proxy"
                        : "Sidecar", options.node().nodeId(), transport.name(),
                tls.engine(), tls.hasIdentity() ? tls.ownIdentity() : "none (plaintext only)",
                options.adminBindAddress(), admin.port(), host, health.port(), options.appProbes().byPath().size(),
                host, prometheus.port(), options.xdsTarget());
        return this;
    }

    private Reply healthz(String path) {
        return path.startsWith("/healthz/ready") && store.hasCompleteConfig() && !drain.draining()
                ? Reply.text(200, "ready\n") : Reply.text(503, store.hasCompleteConfig()
                ? "draining\n" : "waiting for the first complete config from " + options.xdsTarget() + "\n");
    }

    private Reply admin(FullHttpRequest request) {
        String path = request.uri().split("\\?", 2)[0];
        boolean post = request.method().equals(HttpMethod.POST);
        String crossOrigin = post ? AdminOrigin.refusal(request.headers()) : null;
        if (crossOrigin != null) {
            return Reply.text(403, crossOrigin + "\n");
        }
        return switch (path) {
            case "/config_dump" -> Reply.json(EnvoyConfigDump.json(store.current(), tls.certificate()));
            case "/config_summary" -> Reply.json(ConfigSummary.json(store.current(), listeners::boundAddress,
                    clusters.outlierDetectors()));
            case "/stats" -> Reply.text(200, "requests_total " + metrics.totalRequests() + "\n"
                    + "requests_5xx " + metrics.failedRequests() + "\n"
                    + "active " + drain.active() + "\n"
                    + "control_plane_connected " + (store.controlPlaneConnected() ? 1 : 0) + "\n"
                    + "config_complete " + (store.hasCompleteConfig() ? 1 : 0) + "\n"
                    + "draining " + (drain.draining() ? 1 : 0) + "\n"
                    + listeners.connectionStats()
                    + clusterStats());
            case "/ready" -> ready();
            case "/drain" -> post ? startDrain() : Reply.text(405, "use POST /drain\n");
            case "/quitquitquit" -> {
                if (!post) {
                    yield Reply.text(405, "use POST /quitquitquit\n");
                }
                Thread quit = new Thread(this::drainAndStop, "quitquitquit");
                quit.setDaemon(true);
                quit.start();
                yield Reply.text(200, "OK, exiting after drain\n");
            }
            default -> Reply.text(404, "admin paths: /config_dump /config_summary /stats /ready POST /drain POST /quitquitquit\n");
        };
    }

    /**
     * Envoy's names: {@code cluster.<name>.upstream_rq_retry} (retries started) and, per circuit breaker limit, its
     * overflows ({@code upstream_cx_overflow}, {@code upstream_rq_pending_overflow}, {@code upstream_rq_overflow},
     * {@code upstream_rq_retry_overflow}).
     */
    private String clusterStats() {
        StringBuilder stats = new StringBuilder();
        clusters.resources().forEach((cluster, used) -> {
            String prefix = "cluster." + cluster + ".";
            stats.append(prefix).append("upstream_rq_retry ").append(used.retries().retries()).append('\n');
            for (Overflow overflow : Overflow.values()) {
                stats.append(prefix).append(overflow.stat()).append(' ').append(used.overflows(overflow)).append('\n');
            }
        });
        clusters.outlierDetectors().forEach((cluster, detector) -> {
            String prefix = "cluster." + cluster + ".outlier_detection.";
            stats.append(prefix).append("ejections_active ").append(detector.ejectedNow()).append('\n')
                    .append(prefix).append("ejections_enforced_total ").append(detector.enforcedTotal()).append('\n')
                    .append(prefix).append("ejections_overflow ").append(detector.overflows()).append('\n')
                    .append(prefix).append("ejections_detected_success_rate ").append(detector.successRateDetected())
                    .append('\n');
            for (OutlierDetector.Reason reason : OutlierDetector.Reason.values()) {
                stats.append(prefix).append("ejections_enforced_").append(reason.stat()).append(' ')
                        .append(detector.enforced(reason)).append('\n');
            }
        });
        metrics.filterStats().forEach((name, count) -> stats.append(name).append(' ').append(count).append('\n'));
        return stats.toString();
    }

    private Reply ready() {
        if (!store.hasCompleteConfig()) {
            return Reply.text(503, "NOT READY: waiting for the first complete config from " + options.xdsTarget()
                    + "\n");
        }
        String detail = store.controlPlaneConnected() ? "control plane connected"
                : "control plane unreachable, serving the last good config from " + store.lastUpdate();
        return Reply.text(drain.draining() ? 503 : 200, (drain.draining() ? "DRAINING" : "LIVE") + ": " + detail
                + (store.lastRejection() == null ? "" : "; last rejected update: " + store.lastRejection()) + "\n");
    }

    private Reply startDrain() {
        drain.startDraining();
        listeners.stopAccepting();
        return Reply.text(200, "draining: listeners closed, " + drain.active() + " in flight\n");
    }

    public ConfigStore configStore() {
        return store;
    }

    public MeshMetrics metrics() {
        return metrics;
    }

    /** The bound port of a listener by config name, or -1 before it is bound. */
    public int listenerPort(String name) {
        return listeners.boundPort(name);
    }

    public int adminPort() {
        return admin.port();
    }

    public int healthPort() {
        return health.port();
    }

    public int metricsPort() {
        return prometheus.port();
    }

    /** Stops accepting, lets requests in flight finish up to the drain timeout, then stops everything. */
    public void drainAndStop() {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopped();
            return;
        }
        drain.startDraining();
        listeners.stopAccepting();
        long deadline = System.nanoTime() + options.drainTimeout().toNanos();
        while (drain.active() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("Sidecar {} stopping ({} requests still in flight)", options.node().nodeId(), drain.active());
        ads.close();
        for (AdminServer server : new AdminServer[] {admin, health, prometheus}) {
            if (server != null) {
                server.close();
            }
        }
        transport.shutdown();
        stopped.countDown();
    }

    /** Blocks until the sidecar has stopped (after SIGTERM or {@code /quitquitquit}). */
    public void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        drainAndStop();
    }
}
