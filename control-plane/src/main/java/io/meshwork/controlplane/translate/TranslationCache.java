package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.model.SidecarScope;
import java.util.List;
import java.util.Optional;
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
    /** Differ from the sidecars' only in their TLS, so without a CA they are the same. */
    private final Lazy<HashedResources<Cluster>> proxylessClusters;
    private final Lazy<HashedResources<ClusterLoadAssignment>> endpoints;
    private final Lazy<HashedResources<Listener>> outboundListener;
    private final Lazy<HashedResources<Secret>> secrets;
    /** By {@code <kind>/<namespace>}: what a RouteBuilder or proxyless ListenerBuilder reads of the proxy. */
    private final ConcurrentMap<String, Lazy<HashedResources<RouteConfiguration>>> routes = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Lazy<HashedResources<Listener>>> apiListeners = new ConcurrentHashMap<>();
    /** Shared by the route builders of all namespaces: most virtual hosts look the same from each. */
    private final ConcurrentMap<RouteBuilder.VirtualHostKey, VirtualHost> virtualHosts = new ConcurrentHashMap<>();
    private final SnapshotValidator.Memo validated = new SnapshotValidator.Memo();
    /** Whether the mesh spans several clusters: then each client sees endpoints by its own locality's priorities. */
    private final Lazy<Boolean> multiCluster;
    /** In a multi-cluster mesh, by the client's cluster and locality: the endpoints with that client's priorities. */
    private final ConcurrentMap<List<Object>, Lazy<HashedResources<ClusterLoadAssignment>>> endpointsByPlace =
            new ConcurrentHashMap<>();
    /** By Sidecar resource: the translation of the part of the mesh it lets its sidecars reach. */
    private final ConcurrentMap<ObjectRef, TranslationCache> scoped = new ConcurrentHashMap<>();

    TranslationCache(MeshSnapshot snapshot) {
        this.snapshot = snapshot;
        this.outboundClusters = new Lazy<>(() -> HashedResources.of(ClusterBuilder.outbound(snapshot)));
        // A proxyless client's clusters differ from a sidecar's only in TLS and in load reporting for max_requests.
        this.proxylessClusters = new Lazy<>(() -> snapshot.trust().enabled()
                || !snapshot.policies().circuitBreakers().isEmpty()
                ? HashedResources.of(ClusterBuilder.proxyless(snapshot)) : outboundClusters.get());
        this.endpoints = new Lazy<>(() -> HashedResources.of(new EndpointBuilder(snapshot).build()));
        this.multiCluster = new Lazy<>(() -> snapshot.workloads().values().stream().map(Workload::cluster)
                .filter(c -> !c.isEmpty()).distinct().count() > 1);
        this.outboundListener = new Lazy<>(() -> HashedResources.of(List.of(ListenerBuilder.outbound(snapshot))));
        this.secrets = new Lazy<>(() -> HashedResources.of(snapshot.trust().enabled()
                ? List.of(MutualTls.rootSecret(snapshot.trust())) : List.of()));
    }

    /** The snapshot this cache translates; a new snapshot needs a new cache. */
    public MeshSnapshot snapshot() {
        return snapshot;
    }

    /** For {@link SnapshotValidator#validate(ProxyResources, SnapshotValidator.Memo)}: the shared resources are this cache's, so checked once per cache. */
    public SnapshotValidator.Memo validationMemo() {
        return validated;
    }

    /**
     * The resources of {@code proxy}, built from the shared parts and its own. A sidecar that a Sidecar
     * resource scopes gets the outbound part of what that resource lets it reach, and its inbound part as
     * any other.
     */
    public ProxyResources translate(ProxyNode proxy) {
        if (proxy.isGateway()) {
            // The sidecars' clusters and endpoints (with auto mTLS), the Gateway's own listeners, routes and certificates.
            GatewayBuilder gateway = new GatewayBuilder(snapshot, proxy.workload().orElseThrow());
            return ProxyResources.of(outboundClusters.get(), endpoints.get(), HashedResources.of(gateway.listeners()),
                    HashedResources.of(gateway.routes()), secrets.get().plus(gateway.certificates()));
        }
        if (proxy.isSidecar()) {
            Optional<SidecarScope> scope = snapshot.sidecarScopeOf(proxy.workload().orElseThrow());
            if (scope.isPresent()) {
                return scoped.computeIfAbsent(scope.get().ref(),
                                ref -> new TranslationCache(SidecarScoping.restrict(snapshot, scope.get())))
                        .translateOutbound(proxy, snapshot);
            }
        }
        return translateOutbound(proxy, snapshot);
    }

    /** As {@link #translate}, with this cache's snapshot for the outbound part and {@code whole} for the inbound one. */
    private ProxyResources translateOutbound(ProxyNode proxy, MeshSnapshot whole) {
        String kindAndNamespace = proxy.kind() + "/" + proxy.namespace();
        HashedResources<RouteConfiguration> proxyRoutes = routes
                .computeIfAbsent(kindAndNamespace, key -> new Lazy<>(() ->
                        HashedResources.of(new RouteBuilder(snapshot, proxy, virtualHosts).build())))
                .get();
        if (!proxy.isSidecar()) {
            HashedResources<Listener> listeners = apiListeners
                    .computeIfAbsent(kindAndNamespace, key -> new Lazy<>(() ->
                            HashedResources.of(new ListenerBuilder(snapshot, proxy).apiListeners())))
                    .get()
                    .plus(new ListenerBuilder(snapshot, proxy).proxylessServer());
            return ProxyResources.of(proxylessClusters.get(), endpointsFor(proxy, whole), listeners, proxyRoutes,
                    secrets.get());
        }
        return ProxyResources.of(
                outboundClusters.get().plus(new ClusterBuilder(whole, proxy).inbound()),
                endpointsFor(proxy, whole),
                outboundListener.get().plus(new ListenerBuilder(whole, proxy).inbound()),
                proxyRoutes, secrets.get());
    }

    /**
     * The endpoints {@code proxy} gets: the shared ones, or in a multi-cluster mesh those with the priorities of
     * its workload's cluster and locality (shared by every client at that place).
     */
    private HashedResources<ClusterLoadAssignment> endpointsFor(ProxyNode proxy, MeshSnapshot whole) {
        Workload client = proxy.workload().map(ref -> whole.workloads().get(ref)).orElse(null);
        if (client == null || !multiCluster.get()) {
            return endpoints.get();
        }
        return endpointsByPlace.computeIfAbsent(List.of(client.cluster(), client.locality()), place ->
                new Lazy<>(() -> HashedResources.of(new EndpointBuilder(snapshot, client).build()))).get();
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
