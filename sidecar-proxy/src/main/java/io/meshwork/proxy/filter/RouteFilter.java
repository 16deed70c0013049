package io.meshwork.proxy.filter;

import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.VirtualHost;
import io.netty.handler.codec.http.HttpRequest;

/**
 * An HTTP filter of a connection manager's {@code http_filters} that needs the request's route, as Envoy's filters
 * read the route the connection manager picked (and its {@code typed_per_filter_config} under the filter's name):
 * it runs once the route is known, before a cluster or endpoint is picked, and may hold the request a while without
 * blocking ({@link FilterAction.Delay}). Filters are immutable and shared by every connection of their listener.
 */
public interface RouteFilter {

    FilterAction onRoute(HttpRequest request, VirtualHost host, Route route, FilterContext context);
}
