package io.meshwork.proxy.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.Locale;

/**
 * Refuses the admin port's state-changing requests ({@code POST /drain}, {@code /quitquitquit}) that a
 * browser sends on behalf of another site: a page anywhere can POST to {@code 127.0.0.1:15000}, but the
 * browser then says where the page came from in {@code Origin}. A request without Origin (curl, kubectl
 * exec, the kubelet) or from the admin page's own origin passes.
 */
public final class AdminOrigin {

    private AdminOrigin() {
    }

    /** Why the request is refused, or null when it may be served. */
    public static String refusal(HttpHeaders headers) {
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return null;
        }
        String host = headers.get(HttpHeaderNames.HOST);
        String originAuthority = authorityOf(origin);
        if (host != null && originAuthority != null
                && originAuthority.equals(host.trim().toLowerCase(Locale.ROOT))) {
            return null;
        }
        return "the admin port refuses cross-origin requests (Origin: " + origin + ", Host: " + host + ")";
    }

    /** {@code host[:port]} of an Origin, lower case; null for "null" (a sandboxed page) and anything unparsable. */
    private static String authorityOf(String origin) {
        try {
            String authority = URI.create(origin.trim()).getRawAuthority();
            return authority == null ? null : authority.toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
