package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Sends a request through translated resources the way an Envoy-like proxy would, without a network
 * (Istio's {@code *_simulation_test.go}): Listener → filter chain (by destination port) →
 * RouteConfiguration → virtual host (by authority, port included) → first matching route → clusters
 * and weights → ClusterLoadAssignment. Answers where the request lands, or the stage where it stopped.
 */
final class RequestSimulator {

    private final ProxyResources resources;

    RequestSimulator(ProxyResources resources) {
        this.resources = resources;
    }

    /** Where a request stopped or ended. */
    enum Result { ROUTED, TCP_PROXIED, NO_LISTENER, NO_FILTER_CHAIN, NO_ROUTE_CONFIG, NO_VIRTUAL_HOST, NO_ROUTE, NO_CLUSTER }

    /** A request as the proxy sees it; {@code destinationPort} is the port the application dialed. */
    record Request(String authority, int destinationPort, String path, String method, Map<String, String> headers) {

        /** A GET of {@code /} to {@code authority}; the destination port is the authority's, else 80. */
        static Request to(String authority) {
            int colon = authority.lastIndexOf(':');
            int port = colon < 0 ? 80 : Integer.parseInt(authority.substring(colon + 1));
            return new Request(authority, port, "/", "GET", Map.of());
        }

        /** A connection (TCP or HTTP with a port-less Host) to {@code port}. */
        static Request to(String authority, int destinationPort) {
            return new Request(authority, destinationPort, "/", "GET", Map.of());
        }

        Request path(String newPath) {
            return new Request(authority, destinationPort, newPath, method, headers);
        }

        Request method(String newMethod) {
            return new Request(authority, destinationPort, path, newMethod, headers);
        }

        Request header(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name.toLowerCase(Locale.ROOT), value);
            return new Request(authority, destinationPort, path, method, more);
        }
    }

    record Endpoint(String address, int port, HealthStatus health) {
    }

    /** One cluster the request may go to, its weight, and that cluster's endpoints. */
    record Target(String cluster, long weight, List<Endpoint> endpoints) {
    }

    record Outcome(Result result, String listener, String virtualHost, String route, List<Target> targets) {

        List<String> clusters() {
            return targets.stream().map(Target::cluster).toList();
        }

        /** The share of requests that go to {@code cluster}, from the weights. */
        double share(String cluster) {
            long total = targets.stream().mapToLong(Target::weight).sum();
            return targets.stream().filter(t -> t.cluster().equals(cluster)).mapToLong(Target::weight).sum() / (double) total;
        }

        /** Picks a cluster as Envoy does: a random point in [0, total weight), walking the clusters in order. */
        Target pick(Random random) {
            long total = targets.stream().mapToLong(Target::weight).sum();
            long point = (long) (random.nextDouble() * total);
            for (Target target : targets) {
                point -= target.weight();
                if (point < 0) {
                    return target;
                }
            }
            throw new IllegalStateException("no target to pick in " + this);
        }

        Target target(String cluster) {
            return targets.stream().filter(t -> t.cluster().equals(cluster)).findFirst().orElseThrow();
        }
    }

    /** Sends through the sidecar's {@code outbound} listener. */
    Outcome outbound(Request request) {
        return throughListener(ResourceNames.OUTBOUND, request);
    }

    /** Sends as a proxyless gRPC client does: the api_listener named by the target is the authority. */
    Outcome proxyless(Request request) {
        Optional<Listener> listener = listener(request.authority()).filter(Listener::hasApiListener);
        if (listener.isEmpty()) {
            return stop(Result.NO_LISTENER, request.authority());
        }
        return throughConnectionManager(listener.get().getName(),
                unpack(listener.get().getApiListener().getApiListener(), HttpConnectionManager.class), request);
    }

    /** Sends through the named listener, choosing its filter chain by destination port. */
    Outcome throughListener(String listenerName, Request request) {
        Optional<Listener> found = listener(listenerName);
        if (found.isEmpty()) {
            return stop(Result.NO_LISTENER, listenerName);
        }
        Optional<FilterChain> chain = filterChain(found.get(), request.destinationPort());
        if (chain.isEmpty()) {
            return stop(Result.NO_FILTER_CHAIN, listenerName);
        }
        Any config = chain.get().getFilters(chain.get().getFiltersCount() - 1).getTypedConfig();
        if (config.is(TcpProxy.class)) {
            String cluster = unpack(config, TcpProxy.class).getCluster();
            return new Outcome(Result.TCP_PROXIED, listenerName, "", "", List.of(target(cluster, 1)));
        }
        return throughConnectionManager(listenerName, unpack(config, HttpConnectionManager.class), request);
    }

    private Outcome throughConnectionManager(String listenerName, HttpConnectionManager manager, Request request) {
        RouteConfiguration routes;
        if (manager.hasRds()) {
            Optional<RouteConfiguration> config = resources.routes().stream()
                    .filter(r -> r.getName().equals(manager.getRds().getRouteConfigName())).findFirst();
            if (config.isEmpty()) {
                return stop(Result.NO_ROUTE_CONFIG, listenerName);
            }
            routes = config.get();
        } else {
            routes = manager.getRouteConfig();
        }
        Optional<VirtualHost> host = virtualHost(routes, request.authority());
        if (host.isEmpty()) {
            return stop(Result.NO_VIRTUAL_HOST, listenerName);
        }
        for (Route route : host.get().getRoutesList()) {
            if (matches(route.getMatch(), request)) {
                List<Target> targets = targets(route.getRoute());
                boolean allExist = targets.stream().allMatch(t -> cluster(t.cluster()).isPresent());
                return new Outcome(allExist ? Result.ROUTED : Result.NO_CLUSTER, listenerName, host.get().getName(),
                        route.getName(), targets);
            }
        }
        return new Outcome(Result.NO_ROUTE, listenerName, host.get().getName(), "", List.of());
    }

    private static Outcome stop(Result result, String listener) {
        return new Outcome(result, listener, "", "", List.of());
    }

    private Optional<Listener> listener(String name) {
        return resources.listeners().stream().filter(l -> l.getName().equals(name)).findFirst();
    }

    /** A chain matching the destination port wins over one without a port match; then the default chain. */
    private static Optional<FilterChain> filterChain(Listener listener, int port) {
        Optional<FilterChain> byPort = listener.getFilterChainsList().stream()
                .filter(c -> c.getFilterChainMatch().hasDestinationPort()
                        && c.getFilterChainMatch().getDestinationPort().getValue() == port)
                .findFirst();
        if (byPort.isPresent()) {
            return byPort;
        }
        Optional<FilterChain> catchAll = listener.getFilterChainsList().stream()
                .filter(c -> c.getFilterChainMatch().equals(FilterChainMatch.getDefaultInstance()))
                .findFirst();
        if (catchAll.isPresent()) {
            return catchAll;
        }
        return listener.hasDefaultFilterChain() ? Optional.of(listener.getDefaultFilterChain()) : Optional.empty();
    }

    /** Envoy's order: exact domain, then longest {@code *.suffix}, then longest {@code prefix*}, then {@code *}. */
    private static Optional<VirtualHost> virtualHost(RouteConfiguration routes, String authority) {
        String host = authority.toLowerCase(Locale.ROOT);
        VirtualHost suffixHost = null;
        VirtualHost prefixHost = null;
        VirtualHost anyHost = null;
        int suffixLength = -1;
        int prefixLength = -1;
        for (VirtualHost virtualHost : routes.getVirtualHostsList()) {
            for (String domain : virtualHost.getDomainsList()) {
                String d = domain.toLowerCase(Locale.ROOT);
                if (d.equals(host)) {
                    return Optional.of(virtualHost);
                } else if (d.equals("*")) {
                    anyHost = anyHost == null ? virtualHost : anyHost;
                } else if (d.startsWith("*") && host.endsWith(d.substring(1)) && d.length() > suffixLength) {
                    suffixHost = virtualHost;
                    suffixLength = d.length();
                } else if (d.endsWith("*") && host.startsWith(d.substring(0, d.length() - 1)) && d.length() > prefixLength) {
                    prefixHost = virtualHost;
                    prefixLength = d.length();
                }
            }
        }
        return Optional.ofNullable(suffixHost != null ? suffixHost : prefixHost != null ? prefixHost : anyHost);
    }

    @SuppressWarnings("deprecation")
    private static boolean matches(RouteMatch match, Request request) {
        String path = request.path().split("\\?", 2)[0];
        boolean pathMatches = switch (match.getPathSpecifierCase()) {
            case PREFIX -> path.startsWith(match.getPrefix());
            case PATH -> path.equals(match.getPath());
            case SAFE_REGEX -> Pattern.compile(match.getSafeRegex().getRegex()).matcher(path).matches();
            default -> throw new UnsupportedOperationException("path specifier " + match.getPathSpecifierCase());
        };
        if (!pathMatches) {
            return false;
        }
        Map<String, String> headers = new LinkedHashMap<>(request.headers());
        headers.put(":method", request.method());
        headers.put(":path", request.path());
        headers.put(":authority", request.authority());
        for (HeaderMatcher header : match.getHeadersList()) {
            String value = headers.get(header.getName().toLowerCase(Locale.ROOT));
            boolean holds = switch (header.getHeaderMatchSpecifierCase()) {
                case SAFE_REGEX_MATCH -> value != null
                        && Pattern.compile(header.getSafeRegexMatch().getRegex()).matcher(value).matches();
                case PRESENT_MATCH -> (value != null) == header.getPresentMatch();
                case EXACT_MATCH -> header.getExactMatch().equals(value);
                default -> throw new UnsupportedOperationException("header matcher " + header.getHeaderMatchSpecifierCase());
            };
            if (holds == header.getInvertMatch()) {
                return false;
            }
        }
        return true;
    }

    private List<Target> targets(RouteAction action) {
        if (action.hasWeightedClusters()) {
            List<Target> targets = new ArrayList<>();
            for (WeightedCluster.ClusterWeight weighted : action.getWeightedClusters().getClustersList()) {
                targets.add(target(weighted.getName(), weighted.getWeight().getValue()));
            }
            return targets;
        }
        return List.of(target(action.getCluster(), 1));
    }

    private Target target(String clusterName, long weight) {
        return new Target(clusterName, weight, cluster(clusterName).map(this::endpoints).orElse(List.of()));
    }

    private Optional<Cluster> cluster(String name) {
        return resources.clusters().stream().filter(c -> c.getName().equals(name)).findFirst();
    }

    private List<Endpoint> endpoints(Cluster cluster) {
        ClusterLoadAssignment assignment;
        if (cluster.getType() == Cluster.DiscoveryType.EDS) {
            String serviceName = cluster.getEdsClusterConfig().getServiceName().isEmpty()
                    ? cluster.getName() : cluster.getEdsClusterConfig().getServiceName();
            assignment = resources.endpoints().stream().filter(a -> a.getClusterName().equals(serviceName))
                    .findFirst().orElse(ClusterLoadAssignment.getDefaultInstance());
        } else {
            assignment = cluster.getLoadAssignment();
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (LocalityLbEndpoints locality : assignment.getEndpointsList()) {
            for (LbEndpoint endpoint : locality.getLbEndpointsList()) {
                var socket = endpoint.getEndpoint().getAddress().getSocketAddress();
                endpoints.add(new Endpoint(socket.getAddress(), socket.getPortValue(), endpoint.getHealthStatus()));
            }
        }
        endpoints.sort(Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port));
        return endpoints;
    }

    private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
        try {
            return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("typed_config " + any.getTypeUrl() + " is not a " + type.getSimpleName(), e);
        }
    }
}
