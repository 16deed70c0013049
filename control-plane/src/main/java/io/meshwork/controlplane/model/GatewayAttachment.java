package io.meshwork.controlplane.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which HTTPRoutes and GRPCRoutes attach to which Gateway listener, and under which host names, as the Gateway API
 * says: a {@code parentRefs} entry names the Gateway, and its listener by {@code sectionName} and/or {@code port}
 * (neither: every listener); the listener's {@code allowedRoutes} admit the route's namespace and kind; and the
 * route's {@code hostnames} intersect the listener's {@code hostname} ({@code *.example.com} matches any name under
 * {@code example.com}, not {@code example.com}; of two that match, the more specific is kept). A route without
 * host names takes the listener's; a listener without one takes the route's; neither: {@code *}. When an HTTPRoute
 * and a GRPCRoute on one listener share a host name, only one of them attaches, as the GRPCRoute spec says: the
 * older, then the first by namespace/name ({@link #conflicts}).
 */
public final class GatewayAttachment {

    /** Every host name. */
    public static final String ANY = "*";

    private GatewayAttachment() {
    }

    /** One route on one listener, with the host names it serves there. */
    public record Attached(HttpRoute route, List<String> hostnames) {
        public Attached {
            hostnames = List.copyOf(hostnames);
        }
    }

    /** A route left off a listener because a route of the other kind holds a host name it shares. */
    public record Conflict(HttpRoute loser, HttpRoute winner, String hostname) {
    }

    /** The routes attached to {@code listener} of {@code gateway}, in {@code routes}' order, conflicts resolved. */
    public static List<Attached> routes(Gateway gateway, Gateway.Listener listener, Iterable<HttpRoute> routes) {
        List<Attached> candidates = candidates(gateway, listener, routes);
        Set<HttpRoute> losers = new HashSet<>();
        conflicts(candidates).forEach(conflict -> losers.add(conflict.loser()));
        return candidates.stream().filter(a -> !losers.contains(a.route())).toList();
    }

    /**
     * The routes of one kind that lose {@code listener} of {@code gateway} to a route of the other kind sharing a host
     * name there: of an HTTPRoute and a GRPCRoute whose names intersect, the older keeps it (then the first by
     * namespace/name), as the GRPCRoute spec says.
     */
    public static List<Conflict> conflicts(Gateway gateway, Gateway.Listener listener, Iterable<HttpRoute> routes) {
        return conflicts(candidates(gateway, listener, routes));
    }

    private static List<Conflict> conflicts(List<Attached> candidates) {
        List<Conflict> conflicts = new ArrayList<>();
        Set<HttpRoute> losers = new HashSet<>();
        List<Attached> ordered = new ArrayList<>(candidates);
        ordered.sort(Comparator.comparing((Attached a) -> a.route().created(),
                        Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
                .thenComparing(a -> a.route().ref()));
        for (int i = 0; i < ordered.size(); i++) {
            Attached older = ordered.get(i);
            if (losers.contains(older.route())) {
                continue;
            }
            for (Attached newer : ordered.subList(i + 1, ordered.size())) {
                if (!losers.contains(newer.route()) && !newer.route().kind().equals(older.route().kind())) {
                    sharedHostname(older.hostnames(), newer.hostnames()).ifPresent(hostname -> {
                        losers.add(newer.route());
                        conflicts.add(new Conflict(newer.route(), older.route(), hostname));
                    });
                }
            }
        }
        return conflicts;
    }

    private static Optional<String> sharedHostname(List<String> a, List<String> b) {
        for (String x : a) {
            for (String y : b) {
                if (x.equals(ANY) || covers(x, y)) {
                    return Optional.of(y);
                }
                if (y.equals(ANY) || covers(y, x)) {
                    return Optional.of(x);
                }
            }
        }
        return Optional.empty();
    }

    private static List<Attached> candidates(Gateway gateway, Gateway.Listener listener, Iterable<HttpRoute> routes) {
        List<Attached> attached = new ArrayList<>();
        for (HttpRoute route : routes) {
            if (!listener.allowedRoutes().allows(route.ref().namespace(), gateway.ref())
                    || !listener.allowedRoutes().allowsKind(route.kind())) {
                continue;
            }
            boolean named = route.parents().stream().anyMatch(parent -> parent.isGateway()
                    && parent.ref().equals(gateway.ref())
                    && (parent.sectionName() == null || parent.sectionName().equals(listener.name()))
                    && (parent.port() == null || parent.port() == listener.port()));
            if (named) {
                List<String> hostnames = hostnames(listener.hostname(), route.hostnames());
                if (!hostnames.isEmpty()) {
                    attached.add(new Attached(route, hostnames));
                }
            }
        }
        return attached;
    }

    /** The host names a route with {@code routeHostnames} serves on a listener of {@code listenerHostname} (null: any). */
    public static List<String> hostnames(String listenerHostname, List<String> routeHostnames) {
        if (routeHostnames.isEmpty()) {
            return List.of(listenerHostname == null ? ANY : listenerHostname);
        }
        if (listenerHostname == null) {
            return List.copyOf(new LinkedHashSet<>(routeHostnames));
        }
        Set<String> result = new LinkedHashSet<>();
        for (String routeHostname : routeHostnames) {
            if (covers(listenerHostname, routeHostname)) {
                result.add(routeHostname);
            } else if (covers(routeHostname, listenerHostname)) {
                result.add(listenerHostname);
            }
        }
        return List.copyOf(result);
    }

    /** Whether every name {@code specific} matches also matches {@code general} (both may be {@code *.} wildcards). */
    static boolean covers(String general, String specific) {
        if (general.equals(specific)) {
            return true;
        }
        if (!general.startsWith("*.")) {
            return false;
        }
        String suffix = general.substring(1); // ".example.com"
        String name = specific.startsWith("*.") ? specific.substring(1) : specific;
        return name.endsWith(suffix) && name.length() > suffix.length();
    }
}
