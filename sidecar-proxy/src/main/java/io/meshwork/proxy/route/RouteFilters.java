package io.meshwork.proxy.route;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * What a route does to a request it forwards and to the response, besides choosing the cluster: Envoy's
 * {@code request_headers_to_add/remove}, {@code response_headers_to_add/remove}, {@code prefix_rewrite} or
 * {@code regex_rewrite}, {@code host_rewrite_literal} and {@code request_mirror_policies}.
 *
 * @param pathRewrite null: the path goes as it came
 * @param hostRewrite null: the Host goes as it came
 */
public record RouteFilters(HeaderMutation requestHeaders, HeaderMutation responseHeaders, PathRewrite pathRewrite,
                           String hostRewrite, List<MirrorPolicy> mirrors) {

    public static final RouteFilters NONE = new RouteFilters(HeaderMutation.NONE, HeaderMutation.NONE, null, null,
            List.of());

    public RouteFilters {
        mirrors = List.copyOf(mirrors);
    }

    /** One {@code request_mirror_policies} entry: a copy of {@code perMillion} of a million requests goes to {@code cluster}. */
    public record MirrorPolicy(String cluster, int perMillion) {
    }

    /** Rewrites the request that took the route by {@code match}: its headers, then its Host, then its path. */
    public void onRequest(HttpRequest request, RouteMatch match) {
        requestHeaders.apply(request.headers());
        if (hostRewrite != null) {
            request.headers().set(HttpHeaderNames.HOST, hostRewrite);
        }
        if (pathRewrite != null) {
            request.setUri(pathRewrite.apply(request.uri(), match));
        }
    }
}
