package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * The translation of one {@link MeshSnapshot} for many proxies. What proxies share is built and
 * hashed once: outbound clusters, endpoints and the outbound listener for the whole snapshot, route
 * configurations and proxyless api_listeners per kind of proxy and namespace (short host names
 * differ by namespace), each virtual host once for its own namespace and once for all others. Only a sidecar's inbound part is its own. The result for a proxy equals
 * {@link Translator#translate}'s, versions included. Thread-safe; keep one while its snapshot is current.
 */
public final class TranslationCache {

    private final MeshSnapshot snapshot;
    private final Lazy<HashedResources<Cluster>> outboundClusters;
    private final Lazy<HashedResources<ClusterLoadAssignment>> endpoints;
    private final Lazy<HashedResources<Listener>> outboundListener;
    /** By {@code <kind>/<namespace>}: what a RouteBuilder or proxyless ListenerBuilder reads of the proxy. */
    private final ConcurrentMap<String, Lazy<HashedResources<RouteConfiguration>>> routes = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Lazy<HashedResources<Listener>>> apiListeners = new ConcurrentHashMap<>();
    /** Shared by the route builders of all namespaces: most virtual hosts look the same from each. */
    private final ConcurrentMap<RouteBuilder.VirtualHostKey, VirtualHost> virtualHosts = new ConcurrentHashMap<>();
    private final SnapshotValidator.Memo validated = new SnapshotValidator.Memo();

    TranslationCache(MeshSnapshot snapshot) {
        this.snapshot = snapshot;
        this.outboundClusters = new Lazy<>(() -> HashedResources.of(ClusterBuilder.outbound(snapshot)));
        this.endpoints = new Lazy<>(() -> HashedResources.of(new EndpointBuilder(snapshot).build()));
        this.outboundListener = new Lazy<>(() -> HashedResources.of(List.of(ListenerBuilder.outbound(snapshot))));
    }

    /** The snapshot this cache translates; a new snapshot needs a new cache. */
    public MeshSnapshot snapshot() {
        return snapshot;
    }

    /** For {@link SnapshotValidator#validate(ProxyResources, SnapshotValidator.Memo)}: the shared resources are this cache's, so checked once per cache. */
    public SnapshotValidator.Memo validationMemo() {
        return validated;
    }

    /** The resources of {@code proxy}, built from the shared parts and its own. */
    public ProxyResources translate(ProxyNode proxy) {
        String kindAndNamespace = proxy.kind() + "/" + proxy.namespace();
        HashedResources<RouteConfiguration> proxyRoutes = routes
                .computeIfAbsent(kindAndNamespace, key -> new Lazy<>(() ->
                        HashedResources.of(new RouteBuilder(snapshot, proxy, virtualHosts).build())))
                .get();
        if (!proxy.isSidecar()) {
            HashedResources<Listener> listeners = apiListeners
                    .computeIfAbsent(kindAndNamespace, key -> new Lazy<>(() ->
                            HashedResources.of(new ListenerBuilder(snapshot, proxy).build())))
                    .get();
            return ProxyResources.of(outboundClusters.get(), endpoints.get(), listeners, proxyRoutes);
        }
        return ProxyResources.of(
                outboundClusters.get().plus(new ClusterBuilder(snapshot, proxy).inbound()),
                endpoints.get(),
                outboundListener.get().plus(new ListenerBuilder(snapshot, proxy).inbound()),
                proxyRoutes);
    }

    /** Computed once, on first use; other threads asking meanwhile wait for it instead of repeating it. */
    private static final class Lazy<T> {
        private final Supplier<T> supplier;
        private volatile T value;

        Lazy(Supplier<T> supplier) {
            this.supplier = supplier;
        }

        T get() {
            T result = value;
            if (result == null) {
                synchronized (this) {
                    result = value;
                    if (result == null) {
                        result = supplier.get();
                        value = result;
                    }
                }
            }
            return result;
        }
    }
}
