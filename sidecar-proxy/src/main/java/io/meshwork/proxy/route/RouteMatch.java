package io.meshwork.proxy.route;

import java.util.List;
import com.google.re2j.Pattern;

/**
 * What a request must look like to take a route: a path rule, header rules and query parameter rules (all must
 * hold).
 */
public record RouteMatch(PathKind pathKind, String path, Pattern pathRegex, List<HeaderMatch> headers,
                         List<QueryParameterMatch> queryParameters) {

    /**
     * How the path is compared. {@code PATH_SEPARATED_PREFIX}: Envoy's {@code path_separated_prefix}, the prefix
     * then the path's end or a {@code /} ({@code /foo} takes {@code /foo} and {@code /foo/bar}, not {@code /foobar}).
     */
    public enum PathKind { PREFIX, EXACT, REGEX, PATH_SEPARATED_PREFIX }

    public RouteMatch {
        headers = List.copyOf(headers);
        queryParameters = List.copyOf(queryParameters);
    }

    /** A match without query parameter rules. */
    public RouteMatch(PathKind pathKind, String path, Pattern pathRegex, List<HeaderMatch> headers) {
        this(pathKind, path, pathRegex, headers, List.of());
    }

    public static RouteMatch prefix(String prefix) {
        return new RouteMatch(PathKind.PREFIX, prefix, null, List.of());
    }

    /** A header rule; {@code :method} and {@code :authority} are matched like headers, as in Envoy. */
    public record HeaderMatch(String name, Kind kind, String value, Pattern regex, boolean invert) {

        /** How the header value is compared. */
        public enum Kind { EXACT, REGEX, PRESENT, PREFIX }
    }

    /**
     * A query parameter rule, Envoy's {@code QueryParameterMatcher}: on the first value of the parameter (percent-
     * decoded), compared as a header value is; {@code PRESENT} holds when the parameter is there.
     */
    public record QueryParameterMatch(String name, HeaderMatch.Kind kind, String value, Pattern regex) {
    }
}
