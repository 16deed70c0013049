package io.meshwork.proxy.route;

import com.google.re2j.Pattern;

/**
 * A route's path rewrite, Envoy's {@code prefix_rewrite} (the part of the path the route's match took is replaced:
 * the whole path for an exact match, the prefix for a prefix match) or {@code regex_rewrite} (every match of the
 * regex in the path replaced by the substitution, {@code \1} naming a group); the query string is kept.
 */
public record PathRewrite(String prefix, Pattern regex, String substitution) {

    public static PathRewrite prefix(String prefix) {
        return new PathRewrite(prefix, null, null);
    }

    /** With Envoy's substitution syntax ({@code \1}) already turned into RE2/J's ({@code $1}). */
    public static PathRewrite regex(Pattern regex, String envoySubstitution) {
        StringBuilder substitution = new StringBuilder();
        for (int i = 0; i < envoySubstitution.length(); i++) {
            char c = envoySubstitution.charAt(i);
            char next = i + 1 < envoySubstitution.length() ? envoySubstitution.charAt(i + 1) : '\0';
            if (c == '\\' && Character.isDigit(next)) {
                substitution.append('$').append(next);
                i++;
            } else if (c == '$' || c == '\\') {
                substitution.append('\\').append(c);
            } else {
                substitution.append(c);
            }
        }
        return new PathRewrite(null, regex, substitution.toString());
    }

    /** {@code pathAndQuery} as the route rewrites it, {@code match} being the match that chose the route. */
    public String apply(String pathAndQuery, RouteMatch match) {
        int queryStart = pathAndQuery.indexOf('?');
        String path = queryStart < 0 ? pathAndQuery : pathAndQuery.substring(0, queryStart);
        String query = queryStart < 0 ? "" : pathAndQuery.substring(queryStart);
        String rewritten;
        if (regex != null) {
            rewritten = regex.matcher(path).replaceAll(substitution);
        } else {
            int taken = switch (match.pathKind()) {
                case EXACT -> path.length();
                case PREFIX, PATH_SEPARATED_PREFIX -> match.path().length();
                case REGEX -> 0; // Envoy refuses prefix_rewrite with a regex match; the control plane never sends it
            };
            rewritten = prefix + path.substring(taken);
        }
        return (rewritten.isEmpty() ? "/" : rewritten) + query;
    }
}
