package io.meshwork.controlplane.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * An immutable, validated picture of the whole mesh at one moment: what every source (local files,
 * Kubernetes) produces and what translation reads. Maps are sorted by ref so that translation is
 * deterministic.
 *
 * @param version changes whenever anything in the snapshot changes
 * @param endpoints per Service ref, the endpoints of all its ports, from its selector
 * @param sidecars the Sidecar resources: which services the sidecars of some workloads can reach
 * @param peerAuthentications which connections meshed workloads accept (mTLS modes)
 * @param trafficTargets who may call the workloads of a service account (SMI access control)
 * @param policies the resilience policies (MeshTimeout, MeshRetry) aimed at services
 * @param trust the CA's trust domain and roots; {@link TrustBundle#NONE} without a CA (no TLS)
 * @param httpRoutes the Gateway API HTTPRoutes (GAMMA: routes for calls to Services; and routes of Gateways)
 * @param grpcRoutes the Gateway API GRPCRoutes (GAMMA), as HTTPRoutes whose matches carry their gRPC method
 * @param gateways the Gateway API's edge: GatewayClasses, Gateways, ReferenceGrants and their TLS Secrets
 */
public record MeshSnapshot(
        String version,
        SortedMap<ObjectRef, MeshService> services,
        SortedMap<ObjectRef, Workload> workloads,
        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints,
        SortedMap<ObjectRef, TrafficSplit> splits,
        SortedMap<ObjectRef, HttpRouteGroup> routeGroups,
        SortedMap<ObjectRef, SidecarScope> sidecars,
        SortedMap<ObjectRef, PeerAuthentication> peerAuthentications,
        SortedMap<ObjectRef, TrafficTarget> trafficTargets,
        Policies policies,
        TrustBundle trust,
        SortedMap<ObjectRef, HttpRoute> httpRoutes,
        Gateways gateways,
        SortedMap<ObjectRef, HttpRoute> grpcRoutes) {

    /** A snapshot without GRPCRoutes. */
    public MeshSnapshot(String version, SortedMap<ObjectRef, MeshService> services, SortedMap<ObjectRef, Workload> workloads,
                        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints, SortedMap<ObjectRef, TrafficSplit> splits,
                        SortedMap<ObjectRef, HttpRouteGroup> routeGroups, SortedMap<ObjectRef, SidecarScope> sidecars,
                        SortedMap<ObjectRef, PeerAuthentication> peerAuthentications,
                        SortedMap<ObjectRef, TrafficTarget> trafficTargets, Policies policies, TrustBundle trust,
                        SortedMap<ObjectRef, HttpRoute> httpRoutes, Gateways gateways) {
        this(version, services, workloads, endpoints, splits, routeGroups, sidecars, peerAuthentications, trafficTargets,
                policies, trust, httpRoutes, gateways, new java.util.TreeMap<>());
    }

    /** A snapshot without Gateways. */
    public MeshSnapshot(String version, SortedMap<ObjectRef, MeshService> services, SortedMap<ObjectRef, Workload> workloads,
                        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints, SortedMap<ObjectRef, TrafficSplit> splits,
                        SortedMap<ObjectRef, HttpRouteGroup> routeGroups, SortedMap<ObjectRef, SidecarScope> sidecars,
                        SortedMap<ObjectRef, PeerAuthentication> peerAuthentications,
                        SortedMap<ObjectRef, TrafficTarget> trafficTargets, Policies policies, TrustBundle trust,
                        SortedMap<ObjectRef, HttpRoute> httpRoutes) {
        this(version, services, workloads, endpoints, splits, routeGroups, sidecars, peerAuthentications, trafficTargets,
                policies, trust, httpRoutes, Gateways.NONE);
    }

    /** A snapshot without HTTPRoutes. */
    public MeshSnapshot(String version, SortedMap<ObjectRef, MeshService> services, SortedMap<ObjectRef, Workload> workloads,
                        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints, SortedMap<ObjectRef, TrafficSplit> splits,
                        SortedMap<ObjectRef, HttpRouteGroup> routeGroups, SortedMap<ObjectRef, SidecarScope> sidecars,
                        SortedMap<ObjectRef, PeerAuthentication> peerAuthentications,
                        SortedMap<ObjectRef, TrafficTarget> trafficTargets, Policies policies, TrustBundle trust) {
        this(version, services, workloads, endpoints, splits, routeGroups, sidecars, peerAuthentications, trafficTargets,
                policies, trust, new java.util.TreeMap<>());
    }

    /** A snapshot without resilience policies. */
    public MeshSnapshot(String version, SortedMap<ObjectRef, MeshService> services, SortedMap<ObjectRef, Workload> workloads,
                        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints, SortedMap<ObjectRef, TrafficSplit> splits,
                        SortedMap<ObjectRef, HttpRouteGroup> routeGroups, SortedMap<ObjectRef, SidecarScope> sidecars,
                        SortedMap<ObjectRef, PeerAuthentication> peerAuthentications,
                        SortedMap<ObjectRef, TrafficTarget> trafficTargets, TrustBundle trust) {
        this(version, services, workloads, endpoints, splits, routeGroups, sidecars, peerAuthentications, trafficTargets,
                Policies.NONE, trust);
    }

    /** A snapshot without security policies or trust: plaintext everywhere. */
    public MeshSnapshot(String version, SortedMap<ObjectRef, MeshService> services, SortedMap<ObjectRef, Workload> workloads,
                        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints, SortedMap<ObjectRef, TrafficSplit> splits,
                        SortedMap<ObjectRef, HttpRouteGroup> routeGroups, SortedMap<ObjectRef, SidecarScope> sidecars) {
        this(version, services, workloads, endpoints, splits, routeGroups, sidecars, new java.util.TreeMap<>(),
                new java.util.TreeMap<>(), TrustBundle.NONE);
    }

    /** A snapshot without Sidecar resources: every sidecar reaches the whole mesh. */
    public MeshSnapshot(String version, SortedMap<ObjectRef, MeshService> services, SortedMap<ObjectRef, Workload> workloads,
                        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints, SortedMap<ObjectRef, TrafficSplit> splits,
                        SortedMap<ObjectRef, HttpRouteGroup> routeGroups) {
        this(version, services, workloads, endpoints, splits, routeGroups, new java.util.TreeMap<>());
    }

    public MeshSnapshot {
        services = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(services));
        workloads = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(workloads));
        java.util.TreeMap<ObjectRef, List<ServiceEndpoint>> eps = new java.util.TreeMap<>();
        endpoints.forEach((k, v) -> eps.put(k, List.copyOf(v)));
        endpoints = java.util.Collections.unmodifiableSortedMap(eps);
        splits = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(splits));
        routeGroups = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(routeGroups));
        sidecars = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(sidecars));
        peerAuthentications = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(peerAuthentications));
        trafficTargets = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(trafficTargets));
        policies = policies == null ? Policies.NONE : policies;
        trust = trust == null ? TrustBundle.NONE : trust;
        httpRoutes = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(httpRoutes));
        gateways = gateways == null ? Gateways.NONE : gateways;
        grpcRoutes = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(grpcRoutes));
    }

    /** This snapshot with the CA's trust: what sources deliver gets it from the control plane before translation. */
    public MeshSnapshot withTrust(TrustBundle newTrust) {
        return newTrust.equals(trust) ? this : new MeshSnapshot(version, services, workloads, endpoints, splits,
                routeGroups, sidecars, peerAuthentications, trafficTargets, policies, newTrust, httpRoutes, gateways, grpcRoutes);
    }

    /**
     * The mTLS mode of a meshed workload's port, as Istio resolves it: the workload's own policy (its
     * port-level mode first), then its namespace's default, then the mesh default; PERMISSIVE when none
     * sets one. The first policy by name wins where several could apply.
     */
    public PeerAuthentication.Mode mtlsModeOf(Workload workload, int port) {
        for (PeerAuthentication policy : peerAuthentications.values()) {
            if (policy.selects(workload)) {
                PeerAuthentication.Mode mode = policy.portModes().getOrDefault(port, PeerAuthentication.Mode.UNSET);
                if (mode == PeerAuthentication.Mode.UNSET) {
                    mode = policy.mode();
                }
                if (mode != PeerAuthentication.Mode.UNSET) {
                    return mode;
                }
                break;
            }
        }
        for (PeerAuthentication policy : peerAuthentications.values()) {
            if (policy.isNamespaceDefault() && policy.ref().namespace().equals(workload.ref().namespace())
                    && policy.mode() != PeerAuthentication.Mode.UNSET) {
                return policy.mode();
            }
        }
        for (PeerAuthentication policy : peerAuthentications.values()) {
            if (policy.isMeshDefault() && policy.mode() != PeerAuthentication.Mode.UNSET) {
                return policy.mode();
            }
        }
        return PeerAuthentication.Mode.PERMISSIVE;
    }

    public static MeshSnapshot empty() {
        return new MeshSnapshot("0", new java.util.TreeMap<>(), new java.util.TreeMap<>(), new java.util.TreeMap<>(),
                new java.util.TreeMap<>(), new java.util.TreeMap<>());
    }

    public Optional<MeshService> service(ObjectRef ref) {
        return Optional.ofNullable(services.get(ref));
    }

    public List<ServiceEndpoint> endpointsOf(ObjectRef service) {
        return endpoints.getOrDefault(service, List.of());
    }

    /**
     * The routes of {@code service}'s own namespace (producer routes) with a parent covering {@code port}: once there is
     * one, they alone route calls to that port, and its TrafficSplits are overridden. HTTPRoutes when any covers the
     * port, else GRPCRoutes: an HTTPRoute overrides a GRPCRoute of the same port (both route by path), as it does a
     * TrafficSplit.
     */
    public List<HttpRoute> producerRoutesFor(ObjectRef service, int port) {
        return attached(service, port, service.namespace());
    }

    /**
     * The routes of namespace {@code clientNamespace}, other than {@code service}'s, with a parent covering
     * {@code port} (GAMMA's consumer routes): they route that namespace's own calls only. HTTPRoutes first, as above.
     */
    public List<HttpRoute> consumerRoutesFor(ObjectRef service, int port, String clientNamespace) {
        if (clientNamespace.equals(service.namespace())) {
            return List.of();
        }
        return attached(service, port, clientNamespace);
    }

    private List<HttpRoute> attached(ObjectRef service, int port, String namespace) {
        List<HttpRoute> http = attached(httpRoutes, service, port, namespace);
        return http.isEmpty() ? attached(grpcRoutes, service, port, namespace) : http;
    }

    private static List<HttpRoute> attached(SortedMap<ObjectRef, HttpRoute> routes, ObjectRef service, int port,
                                            String namespace) {
        if (routes.isEmpty()) {
            return List.of();
        }
        return routes.values().stream()
                .filter(r -> r.ref().namespace().equals(namespace))
                .filter(r -> r.parents().stream().anyMatch(p -> p.covers(service, port)))
                .toList();
    }

    /** The GRPCRoutes that an HTTPRoute of the same Service port overrides there, by the routes' namespace. */
    public List<HttpRoute> grpcRoutesOverriddenOn(ObjectRef service, int port, String namespace) {
        return attached(httpRoutes, service, port, namespace).isEmpty() ? List.of()
                : attached(grpcRoutes, service, port, namespace);
    }

    /**
     * The routes that route calls from {@code clientNamespace} to {@code port} of {@code service}: that
     * namespace's consumer routes when it has some, else the Service's producer routes (GAMMA: a consumer route
     * overrides the producer's for its own namespace).
     */
    public List<HttpRoute> routesFor(ObjectRef service, int port, String clientNamespace) {
        List<HttpRoute> consumer = consumerRoutesFor(service, port, clientNamespace);
        return consumer.isEmpty() ? producerRoutesFor(service, port) : consumer;
    }

    /** The TrafficSplits whose root service is {@code service}. */
    public List<TrafficSplit> splitsFor(ObjectRef service) {
        return splits.values().stream().filter(s -> s.rootService().equals(service)).toList();
    }

    /**
     * The Sidecar that scopes the sidecar of {@code workload}: the first by name whose selector picks it,
     * else its namespace's default (the first by name without a selector); empty when none does.
     */
    public Optional<SidecarScope> sidecarScopeOf(ObjectRef workload) {
        Workload w = workloads.get(workload);
        Optional<SidecarScope> selected = w == null ? Optional.empty()
                : sidecars.values().stream().filter(s -> s.selects(w)).findFirst();
        return selected.or(() -> sidecars.values().stream()
                .filter(s -> s.isNamespaceDefault() && s.ref().namespace().equals(workload.namespace())).findFirst());
    }

    /** The TrafficTargets that protect {@code workload}: once there is one, only what they allow reaches it. */
    public List<TrafficTarget> trafficTargetsOf(Workload workload) {
        return trafficTargets.values().stream().filter(t -> t.selects(workload)).toList();
    }

    public Map<ObjectRef, TrafficSplit> splitsByRef() {
        return splits;
    }
}
