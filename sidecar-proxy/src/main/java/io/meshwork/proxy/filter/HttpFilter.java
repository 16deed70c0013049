package io.meshwork.proxy.filter;

import io.netty.handler.codec.http.HttpRequest;

/**
 * One HTTP filter of a connection manager's {@code http_filters}, before the router (which the proxy
 * handler itself is, with the relay): looks at a request's head and lets it go on, or answers it
 * here. Filters are immutable and shared by every connection of their listener.
 */
public interface HttpFilter {

    /** Null to let the request go on to the next filter; a reply to answer it without going upstream. */
    LocalReply onRequest(HttpRequest request, FilterContext context);
}
