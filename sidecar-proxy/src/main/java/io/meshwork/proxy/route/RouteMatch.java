package io.meshwork.proxy.route;

import java.util.List;
import com.google.re2j.Pattern;

/** What a request must look like to take a route: a path rule and header rules (all must hold). */
public record RouteMatch(PathKind pathKind, String path, Pattern pathRegex, List<HeaderMatch> headers) {

    /** How the path is compared. */
    public enum PathKind { PREFIX, EXACT, REGEX }

    public RouteMatch {
        headers = List.copyOf(headers);
    }

    public static RouteMatch prefix(String prefix) {
        return new RouteMatch(PathKind.PREFIX, prefix, null, List.of());
    }

    /** A header rule; {@code :method} and {@code :authority} are matched like headers, as in Envoy. */
    public record HeaderMatch(String name, Kind kind, String value, Pattern regex, boolean invert) {

        /** How the header value is compared. */
        public enum Kind { EXACT, REGEX, PRESENT, PREFIX }
    }
}
