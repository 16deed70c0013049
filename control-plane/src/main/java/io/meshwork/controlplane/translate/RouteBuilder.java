package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.NonForwardingAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Builds RouteConfigurations: for a sidecar, {@code outbound} with one virtual host per HTTP service
 * port; for a proxyless client, one per service port named {@code <svc>.<ns>.svc.cluster.local:<port>}.
 * TrafficSplits with HTTPRouteGroup matches become routes ahead of the default (weighted) route; a service port
 * that HTTPRoutes are attached to gets their routes instead ({@link GammaRoutes}), its TrafficSplits overridden: the
 * client namespace's consumer routes when it has some, else the Service's own.
 */
public final class RouteBuilder {

    /** Requests on HTTP ports that take longer are cut; gRPC ports have none, so streams live on. */
    static final long HTTP_TIMEOUT_SECONDS = 15;

    private final MeshSnapshot snapshot;
    private final ProxyNode proxy;
    private final Map<VirtualHostKey, VirtualHost> virtualHosts;

    public RouteBuilder(MeshSnapshot snapshot, ProxyNode proxy) {
        this(snapshot, proxy, new HashMap<>());
    }

    /**
     * With {@code virtualHosts} shared by the builders of one snapshot (a thread-safe map when they
     * run concurrently): a service's virtual host differs only by whether the client is in its
     * namespace, so every other namespace reuses the one built first.
     */
    RouteBuilder(MeshSnapshot snapshot, ProxyNode proxy, Map<VirtualHostKey, VirtualHost> virtualHosts) {
        this.snapshot = snapshot;
        this.proxy = proxy;
        this.virtualHosts = virtualHosts;
    }

    /** All a virtual host depends on besides the snapshot. */
    record VirtualHostKey(ObjectRef service, int port, boolean withPortlessNames, boolean sameNamespace,
                          boolean proxyless, String consumerNamespace) {
    }

    public List<RouteConfiguration> build() {
        return proxy.isSidecar() ? List.of(outbound()) : proxyless();
    }

    private RouteConfiguration outbound() {
        RouteConfiguration.Builder config = RouteConfiguration.newBuilder().setName(ResourceNames.OUTBOUND);
        for (MeshService service : snapshot.services().values()) {
            Optional<ServicePort> firstHttp = service.ports().stream().filter(p -> p.protocol().isHttp()).findFirst();
            for (ServicePort port : service.ports()) {
                if (port.protocol().isHttp()) {
                    // Port-less host names only on the first HTTP port: a domain may appear in one vhost only.
                    config.addVirtualHosts(virtualHost(service, port, port.equals(firstHttp.orElseThrow())));
                }
            }
        }
        return config.build();
    }

    private List<RouteConfiguration> proxyless() {
        List<RouteConfiguration> configs = new ArrayList<>();
        for (MeshService service : snapshot.services().values()) {
            for (ServicePort port : service.ports()) {
                configs.add(RouteConfiguration.newBuilder()
                        .setName(ResourceNames.serviceHostPort(service.ref(), port.port()))
                        .addVirtualHosts(virtualHost(service, port, true))
                        .build());
            }
        }
        return List.copyOf(configs);
    }

    /**
     * The route config of a proxyless gRPC server's port: every call is served where it arrived
     * ({@code non_forwarding_action}; grpc-java fails calls on routes of any other action).
     */
    static RouteConfiguration proxylessServer(int port) {
        return everyRequest(port, Route.newBuilder().setNonForwardingAction(NonForwardingAction.getDefaultInstance()));
    }

    /** The route config of a meshed workload's HTTP inbound port: everything to the application on loopback. */
    static RouteConfiguration inbound(InboundPort port) {
        return everyRequest(port.port(), Route.newBuilder().setRoute(RouteAction.newBuilder()
                .setCluster(ResourceNames.inboundCluster(port.appPort()))
                .setTimeout(timeout(port.protocol()))));
    }

    /** {@code inbound|<port>}: one virtual host {@code *} whose one route, prefix {@code /}, does {@code action}. */
    private static RouteConfiguration everyRequest(int port, Route.Builder action) {
        String name = ResourceNames.inboundListener(port);
        return RouteConfiguration.newBuilder()
                .setName(name)
                .addVirtualHosts(VirtualHost.newBuilder()
                        .setName(name)
                        .addDomains("*")
                        .addRoutes(action.setName("default").setMatch(RouteMatch.newBuilder().setPrefix("/"))))
                .build();
    }

    private VirtualHost virtualHost(MeshService service, ServicePort port, boolean withPortlessNames) {
        boolean consumerRoutes = !snapshot.consumerRoutesFor(service.ref(), port.port(), proxy.namespace()).isEmpty();
        VirtualHostKey key = new VirtualHostKey(service.ref(), port.port(), withPortlessNames,
                service.ref().namespace().equals(proxy.namespace()), !proxy.isSidecar(),
                consumerRoutes ? proxy.namespace() : "");
        VirtualHost host = virtualHosts.get(key);
        if (host == null) {
            // Built outside the map's lock; two threads racing build equal hosts and either may stay.
            host = buildVirtualHost(service, port, withPortlessNames);
            VirtualHost raced = virtualHosts.putIfAbsent(key, host);
            host = raced != null ? raced : host;
        }
        return host;
    }

    private VirtualHost buildVirtualHost(MeshService service, ServicePort port, boolean withPortlessNames) {
        VirtualHost.Builder host = VirtualHost.newBuilder()
                .setName(ResourceNames.serviceHostPort(service.ref(), port.port()));
        for (String name : ResourceNames.hostNames(service.ref(), proxy.namespace())) {
            if (withPortlessNames) {
                host.addDomains(name);
            }
            host.addDomains(name + ":" + port.port());
        }
        List<HttpRoute> httpRoutes = snapshot.routesFor(service.ref(), port.port(), proxy.namespace());
        if (!httpRoutes.isEmpty()) {
            host.addAllRoutes(new GammaRoutes(snapshot, !proxy.isSidecar()).routes(httpRoutes, service, port));
        } else {
            host.addAllRoutes(matchedRoutes(service, port));
            host.addRoutes(defaultRoute(service, port));
        }
        // MeshFaultInjection and MeshMirror apply to every route of the port, whoever wrote them.
        return ResiliencePolicies.virtualHost(host, snapshot, service.ref(), port, !proxy.isSidecar()).build();
    }

    /** One route per HTTPRouteGroup match of every TrafficSplit with matches, in split order. */
    private List<Route> matchedRoutes(MeshService service, ServicePort port) {
        List<Route> routes = new ArrayList<>();
        for (TrafficSplit split : snapshot.splitsFor(service.ref())) {
            if (split.matches().isEmpty()) {
                continue;
            }
            RouteAction.Builder action = policed(splitAction(split, port), service, port);
            for (TrafficSplit.RouteGroupMatch groupMatch : split.matches()) {
                if (groupMatch.kind() != null && !groupMatch.kind().isEmpty() && !"HTTPRouteGroup".equals(groupMatch.kind())) {
                    continue; // TCPRoute and others do not select HTTP requests
                }
                HttpRouteGroup group = snapshot.routeGroups().get(ObjectRef.of(split.ref().namespace(), groupMatch.name()));
                if (group == null) {
                    continue;
                }
                for (HttpRouteGroup.Match match : group.matches()) {
                    if (groupMatch.matchNames().isEmpty() || groupMatch.matchNames().contains(match.name())) {
                        routes.add(Route.newBuilder()
                                .setName(split.ref() + "/" + group.ref().name() + "/" + match.name())
                                .setMatch(routeMatch(match))
                                .setRoute(action)
                                .build());
                    }
                }
            }
        }
        return routes;
    }

    private Route defaultRoute(MeshService service, ServicePort port) {
        RouteAction.Builder action = snapshot.splitsFor(service.ref()).stream()
                .filter(split -> split.matches().isEmpty())
                .findFirst()
                .map(split -> splitAction(split, port))
                .orElseGet(() -> RouteAction.newBuilder()
                        .setCluster(ResourceNames.outboundCluster(service.ref(), port.port()))
                        .setTimeout(timeout(port.protocol())));
        return Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(policed(action, service, port))
                .build();
    }

    /**
     * The action with the MeshTimeout and MeshRetry of calls to {@code port} of {@code service}: the Service
     * the client called, whichever backends a TrafficSplit sends the call to (as Istio's VirtualService retries).
     */
    private RouteAction.Builder policed(RouteAction.Builder action, MeshService service, ServicePort port) {
        return ResiliencePolicies.route(action, snapshot.policies(), service.ref(), port);
    }

    /**
     * The backends of {@code split} with weight, each at the root port's number: one cluster, or
     * weighted clusters. A backend that is no Service with that port keeps its cluster name, so that
     * {@link SnapshotValidator} rejects the group (and the last good config stays) rather than its
     * share of traffic silently going to the other backends; no backend with weight leaves an empty
     * (invalid) weighted_clusters for the same reason.
     */
    private RouteAction.Builder splitAction(TrafficSplit split, ServicePort rootPort) {
        Map<String, Long> weights = new TreeMap<>();
        for (TrafficSplit.Backend backend : split.backends()) {
            if (backend.weight() > 0) {
                ObjectRef ref = ObjectRef.of(split.ref().namespace(), backend.service());
                weights.merge(ResourceNames.outboundCluster(ref, rootPort.port()), backend.weight(), Long::sum);
            }
        }
        return toClusters(RouteAction.newBuilder().setTimeout(timeout(rootPort.protocol())), weights);
    }

    /**
     * {@code action} sending to the clusters of {@code weights} (cluster name → relative weight, at least one):
     * {@code cluster} when there is one, else {@code weighted_clusters}, scaled down when the sum passes a uint32.
     */
    static RouteAction.Builder toClusters(RouteAction.Builder action, Map<String, Long> weights) {
        if (weights.size() == 1) {
            return action.setCluster(weights.keySet().iterator().next());
        }
        // Weights are relative; Envoy and grpc-java want their sum to fit in a uint32.
        long total = weights.values().stream().mapToLong(Long::longValue).sum();
        long divisor = total > Integer.MAX_VALUE ? (total + Integer.MAX_VALUE - 1) / Integer.MAX_VALUE : 1;
        WeightedCluster.Builder clusters = WeightedCluster.newBuilder();
        weights.forEach((cluster, weight) -> clusters.addClusters(WeightedCluster.ClusterWeight.newBuilder()
                .setName(cluster)
                .setWeight(EnvoyProtos.uint32(Math.max(1, weight / divisor)))));
        return action.setWeightedClusters(clusters);
    }

    @SuppressWarnings("deprecation")
    private static RouteMatch routeMatch(HttpRouteGroup.Match match) {
        RouteMatch.Builder routeMatch = RouteMatch.newBuilder();
        if (match.pathRegex().isEmpty()) {
            routeMatch.setPrefix("/");
        } else {
            routeMatch.setSafeRegex(EnvoyProtos.regex(match.pathRegex()));
        }
        new TreeMap<>(match.headers()).forEach((name, regex) -> routeMatch.addHeaders(HeaderMatcher.newBuilder()
                .setName(name.toLowerCase(Locale.ROOT))
                .setSafeRegexMatch(EnvoyProtos.regex(regex))));
        List<String> methods = match.methods().stream().map(m -> m.toUpperCase(Locale.ROOT)).sorted().toList();
        if (!methods.isEmpty() && !methods.contains("*")) {
            routeMatch.addHeaders(HeaderMatcher.newBuilder()
                    .setName(":method")
                    .setSafeRegexMatch(EnvoyProtos.regex(String.join("|", methods))));
        }
        return routeMatch.build();
    }

    /** 0 s (no timeout) for gRPC, whose streams may last; 15 s otherwise. */
    static com.google.protobuf.Duration timeout(Protocol protocol) {
        return EnvoyProtos.seconds(protocol == Protocol.GRPC ? 0 : HTTP_TIMEOUT_SECONDS);
    }
}
