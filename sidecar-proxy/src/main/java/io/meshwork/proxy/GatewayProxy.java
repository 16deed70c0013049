package io.meshwork.proxy;

import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.xds.ProxyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code mesh gateway}: the sidecar's proxy core serving one Gateway at the edge. Its node says
 * {@code MESH_PROXY_TYPE: router}, so the control plane sends it no capture listeners, only a Listener per port of the
 * Gateway's listeners (bound on the bind address), their routes and certificates. Logs one line saying where it
 * listens once the first config is bound, and again whenever that changes.
 */
public final class GatewayProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayProxy.class);

    private final SidecarProxy proxy;
    private final SidecarProxy.Options options;
    private String announced;

    public GatewayProxy(SidecarProxy.Options options) {
        if (!options.node().isGateway()) {
            throw new IllegalArgumentException("a gateway's node must be NodeIdentity.gateway(...)");
        }
        this.options = options;
        this.proxy = new SidecarProxy(options);
        // After the listener manager's subscription: the listeners of this config are bound by now.
        proxy.configStore().subscribe(this::announce);
    }

    public GatewayProxy start() throws InterruptedException {
        proxy.start();
        return this;
    }

    /** The proxy core, for its ports and config. */
    public SidecarProxy proxy() {
        return proxy;
    }

    private synchronized void announce(ProxyConfig config) {
        List<String> where = new ArrayList<>();
        new TreeMap<>(config.listeners()).forEach((name, listener) -> {
            int port = proxy.listenerPort(name);
            where.add((port > 0 ? options.bindAddress() + ":" + port : "NOT BOUND " + listener.port()) + " ("
                    + describe(listener) + ")");
        });
        String line = where.isEmpty() ? "no listeners yet (is the Gateway's class meshwork.io/gateway-controller's, "
                + "and does it have a listener whose certificates are there?)" : "listening on " + String.join(", ", where);
        if (!line.equals(announced)) {
            LOG.info("Gateway {}/{} {}{}", options.node().namespace(), options.node().workload(),
                    announced == null ? "ready: " : "now ", line);
            announced = line;
        }
    }

    private static String describe(ListenerConfig listener) {
        List<String> names = new ArrayList<>();
        boolean tls = false;
        for (ListenerConfig.FilterChain chain : listener.filterChains()) {
            tls |= chain.tls() != null;
            names.addAll(chain.serverNames().isEmpty() && chain.tls() != null ? List.of("any name") : chain.serverNames());
        }
        return (tls ? "HTTPS" : "HTTP") + (names.isEmpty() ? "" : " for " + String.join(", ", names));
    }

    public void awaitStopped() {
        proxy.awaitStopped();
    }

    public void drainAndStop() {
        proxy.drainAndStop();
    }

    @Override
    public void close() {
        proxy.drainAndStop();
    }
}
