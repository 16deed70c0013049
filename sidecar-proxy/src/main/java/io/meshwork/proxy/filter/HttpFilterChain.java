package io.meshwork.proxy.filter;

import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * The HTTP filters of a connection manager in their {@code http_filters} order, the router (the proxy
 * handler) excluded: each request's head passes through them before it is routed.
 */
public record HttpFilterChain(List<HttpFilter> filters) {

    public static final HttpFilterChain EMPTY = new HttpFilterChain(List.of());

    public HttpFilterChain {
        filters = List.copyOf(filters);
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

    public boolean isEmpty() {
        return filters.isEmpty();
    }
}
