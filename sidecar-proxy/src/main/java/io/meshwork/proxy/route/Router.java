package io.meshwork.proxy.route;

import com.google.re2j.Pattern;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks the virtual host by authority, then the first route whose path, header and query parameter rules all hold,
 * then a weighted cluster.
 */
public final class Router {

    private Router() {
    }

    /**
     * The virtual host for an authority, tried as given, without its port, then (as Envoy) by the longest {@code *.}
     * suffix domain that matches the host ({@code *.example.com} takes {@code a.b.example.com}), then {@code *}; null if
     * none.
     */
    public static VirtualHost virtualHost(RouteTable table, String authority) {
        String host = authority.toLowerCase(Locale.ROOT);
        VirtualHost vhost = table.forDomain(host);
        if (vhost != null) {
            return vhost;
        }
        String withoutPort = stripPort(host);
        if (!withoutPort.equals(host)) {
            vhost = table.forDomain(withoutPort);
            if (vhost != null) {
                return vhost;
            }
        }
        if (table.hasSuffixWildcards()) {
            for (int dot = withoutPort.indexOf('.'); dot > 0; dot = withoutPort.indexOf('.', dot + 1)) {
                vhost = table.forDomain("*" + withoutPort.substring(dot));
                if (vhost != null) {
                    return vhost;
                }
            }
        }
        return table.forDomain("*");
    }

    /** The first route of the virtual host whose match holds for this request; null if none. */
    public static Route route(VirtualHost vhost, String method, String path, HttpHeaders headers) {
        String pathOnly = path;
        String query = null;
        int queryStart = path.indexOf('?');
        if (queryStart >= 0) {
            pathOnly = path.substring(0, queryStart);
            query = path.substring(queryStart + 1);
        }
        // Indexed loops over the (immutable, random-access) lists: the JIT does not always
        // scalar-replace an iterator, and then each made garbage on every request.
        List<Route> routes = vhost.routes();
        for (int i = 0; i < routes.size(); i++) {
            if (matches(routes.get(i).match(), method, pathOnly, query, headers)) {
                return routes.get(i);
            }
        }
        return null;
    }

    private static boolean matches(RouteMatch match, String method, String path, String query, HttpHeaders headers) {
        boolean pathOk = switch (match.pathKind()) {
            case PREFIX -> path.startsWith(match.path());
            case PATH_SEPARATED_PREFIX -> path.startsWith(match.path())
                    && (path.length() == match.path().length() || path.charAt(match.path().length()) == '/');
            case EXACT -> path.equals(match.path());
            case REGEX -> match.pathRegex().matcher(path).matches();
        };
        if (!pathOk) {
            return false;
        }
        List<RouteMatch.HeaderMatch> headerMatches = match.headers();
        for (int i = 0; i < headerMatches.size(); i++) {
            if (!headerMatches(headerMatches.get(i), method, headers)) {
                return false;
            }
        }
        List<RouteMatch.QueryParameterMatch> params = match.queryParameters();
        for (int i = 0; i < params.size(); i++) {
            if (!valueMatches(params.get(i).kind(), params.get(i).value(), params.get(i).regex(),
                    QueryParameters.firstValue(query, params.get(i).name()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether a header rule holds; {@code :method} and {@code :authority} are read as Envoy reads them. */
    public static boolean headerMatches(RouteMatch.HeaderMatch header, String method, HttpHeaders headers) {
        String value = header.name().equals(":method") ? method
                : header.name().equals(":authority") ? headers.get("host")
                : headers.get(header.name());
        return valueMatches(header.kind(), header.value(), header.regex(), value) != header.invert();
    }

    /** Whether a header or query parameter {@code value} (null: absent) passes a rule of {@code kind}. */
    private static boolean valueMatches(RouteMatch.HeaderMatch.Kind kind, String expected, Pattern regex, String value) {
        return switch (kind) {
            case PRESENT -> value != null;
            case EXACT -> expected.equals(value);
            case PREFIX -> value != null && value.startsWith(expected);
            case REGEX -> value != null && regex.matcher(value).matches();
        };
    }

    /** A weighted cluster of the route, chosen in proportion to the weights. */
    public static Route.WeightedCluster pick(Route route) {
        List<Route.WeightedCluster> clusters = route.clusters();
        if (clusters.size() == 1) {
            return clusters.get(0);
        }
        long total = 0;
        for (int i = 0; i < clusters.size(); i++) {
            total += clusters.get(i).weight();
        }
        long ticket = ThreadLocalRandom.current().nextLong(total);
        for (int i = 0; i < clusters.size(); i++) {
            ticket -= clusters.get(i).weight();
            if (ticket < 0) {
                return clusters.get(i);
            }
        }
        return clusters.get(clusters.size() - 1);
    }

    public static String stripPort(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return close > 0 ? authority.substring(0, close + 1) : authority;
        }
        int colon = authority.lastIndexOf(':');
        return colon >= 0 ? authority.substring(0, colon) : authority;
    }
}
