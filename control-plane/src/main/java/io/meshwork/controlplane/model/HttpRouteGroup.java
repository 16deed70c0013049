package io.meshwork.controlplane.model;

import java.util.List;
import java.util.Map;

/**
 * An SMI {@code HTTPRouteGroup}: named request matches. Within one match, path regex, methods
 * and headers must all hold (AND); the matches of a group are alternatives (OR).
 */
public record HttpRouteGroup(ObjectRef ref, List<Match> matches) {

    public HttpRouteGroup {
        matches = List.copyOf(matches);
    }

    /**
     * @param pathRegex regular expression the whole path must match; empty means any path
     * @param methods HTTP methods, empty or {@code *} means any
     * @param headers header name → regular expression the value must match
     */
    public record Match(String name, String pathRegex, List<String> methods, Map<String, String> headers) {
        public Match {
            pathRegex = pathRegex == null ? "" : pathRegex;
            methods = List.copyOf(methods);
            headers = Map.copyOf(headers);
        }
    }
}
