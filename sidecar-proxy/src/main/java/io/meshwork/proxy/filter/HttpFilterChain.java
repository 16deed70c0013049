package io.meshwork.proxy.filter;

import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.VirtualHost;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * The HTTP filters of a connection manager in their {@code http_filters} order, the router (the proxy handler)
 * excluded: each request's head passes through {@code filters} before it is routed, then through
 * {@code routeFilters}, which need its route (fault injection), before a cluster is picked.
 */
public record HttpFilterChain(List<HttpFilter> filters, List<RouteFilter> routeFilters) {

    public static final HttpFilterChain EMPTY = new HttpFilterChain(List.of());

    public HttpFilterChain {
        filters = List.copyOf(filters);
        routeFilters = List.copyOf(routeFilters);
    }

    public HttpFilterChain(List<HttpFilter> filters) {
        this(filters, List.of());
    }

    /** The first filter's reply, or null when every filter let the request go on. */
    public LocalReply onRequest(HttpRequest request, FilterContext context) {
        for (int i = 0; i < filters.size(); i++) {
            LocalReply reply = filters.get(i).onRequest(request, context);
            if (reply != null) {
                return reply;
            }
        }
        return null;
    }

    /** What the route filters from {@code from} on do: the first action other than continue, and where to go on. */
    public Step onRoute(int from, HttpRequest request, VirtualHost host, Route route, FilterContext context) {
        for (int i = from; i < routeFilters.size(); i++) {
            FilterAction action = routeFilters.get(i).onRoute(request, host, route, context);
            if (action != FilterAction.CONTINUE) {
                return new Step(action, i + 1);
            }
        }
        return new Step(FilterAction.CONTINUE, routeFilters.size());
    }

    /** A route filter's action and the index of the filter after it. */
    public record Step(FilterAction action, int next) {
    }

    /** No filter before routing. */
    public boolean isEmpty() {
        return filters.isEmpty();
    }

    public boolean hasRouteFilters() {
        return !routeFilters.isEmpty();
    }
}
