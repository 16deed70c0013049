package io.meshwork.controlplane.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Locale;

/**
 * Who may read {@code /debug/*}: a caller on loopback, with no foreign {@code Origin} and a {@code Host}
 * that names loopback. Envoy's and Istio's admin ports answer only on localhost for the same reason: the
 * page lists every sidecar's admin address.
 */
final class DebugAccess {

    private DebugAccess() {
    }

    /** Why the request is refused, or null when it may be answered. */
    static String refusal(InetSocketAddress caller, HttpHeaders headers) {
        if (caller == null || !caller.getAddress().isLoopbackAddress()) {
            return "/debug is served to loopback callers only (use kubectl port-forward or run on the control plane's host)";
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin != null && !originIsLoopback(origin)) {
            return "/debug refuses cross-origin requests (Origin: " + origin + ")";
        }
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null && !isLoopbackName(hostOf(host))) {
            return "/debug answers only a Host naming loopback (localhost, 127.0.0.1, [::1]), not " + host;
        }
        return null;
    }

    private static boolean originIsLoopback(String origin) {
        try {
            String host = URI.create(origin.trim()).getHost();
            return host != null && isLoopbackName(host);
        } catch (IllegalArgumentException e) {
            return false; // "null" (a sandboxed page) and anything unparsable are foreign
        }
    }

    /** The host part of a Host header: {@code name}, {@code name:port}, {@code [v6]} or {@code [v6]:port}. */
    private static String hostOf(String host) {
        String h = host.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    private static boolean isLoopbackName(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return true;
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        // Only literal addresses are judged (no DNS lookup): digits and dots, or an IPv6 literal.
        if (h.matches("[0-9.]+") || (h.contains(":") && h.matches("[0-9a-f:.]+"))) {
            try {
                return InetAddress.getByName(h).isLoopbackAddress();
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }
}
