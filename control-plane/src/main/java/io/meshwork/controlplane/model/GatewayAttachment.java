package io.meshwork.controlplane.model;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which HTTPRoutes attach to which Gateway listener, and under which host names, as the Gateway API says: a
 * {@code parentRefs} entry names the Gateway, and its listener by {@code sectionName} and/or {@code port} (neither:
 * every listener); the listener's {@code allowedRoutes} admit the route's namespace; and the route's
 * {@code hostnames} intersect the listener's {@code hostname} ({@code *.example.com} matches any name under
 * {@code example.com}, not {@code example.com}; of two that match, the more specific is kept). A route without
 * host names takes the listener's; a listener without one takes the route's; neither: {@code *}.
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

    /** The routes attached to {@code listener} of {@code gateway}, in {@code routes}' order. */
    public static List<Attached> routes(Gateway gateway, Gateway.Listener listener, Iterable<HttpRoute> routes) {
        List<Attached> attached = new ArrayList<>();
        for (HttpRoute route : routes) {
            if (!listener.allowedRoutes().allows(route.ref().namespace(), gateway.ref())) {
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
