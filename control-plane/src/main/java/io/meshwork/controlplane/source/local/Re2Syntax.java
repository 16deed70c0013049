package io.meshwork.controlplane.source.local;

import java.util.Optional;

/**
 * Finds regex constructs that {@code java.util.regex} accepts but RE2 (what Envoy and grpc-java's
 * re2j use) does not, so a route that compiles here is not NACKed by the proxy: backreferences,
 * lookaround, atomic groups, possessive quantifiers and a few Java-only escapes.
 */
final class Re2Syntax {

    private static final String JAVA_ONLY_ESCAPES = "GZRXhHVe";

    private Re2Syntax() {
    }

    /**
     * Checks {@code regex}, the value of {@code key} in {@code owner}, with RE2/J, the engine the sidecar (and
     * grpc-java) matches with; RE2's gaps are named first. Throws the field's error.
     */
    static void check(YamlObject owner, String key, String regex) {
        unsupportedConstruct(regex).ifPresent(construct -> {
            throw owner.error(key, "\"" + regex + "\" uses " + construct + ", which RE2 (Envoy, gRPC) does not support");
        });
        try {
            com.google.re2j.Pattern.compile(regex);
        } catch (com.google.re2j.PatternSyntaxException e) {
            throw owner.error(key, "\"" + regex + "\" is not a valid regex: " + e.getDescription());
        }
    }

    /** A description of the first construct RE2 lacks, empty when there is none. */
    static Optional<String> unsupportedConstruct(String regex) {
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            char next = i + 1 < regex.length() ? regex.charAt(i + 1) : '\0';
            if (c == '\\') {
                if (next == 'Q') {
                    int end = regex.indexOf("\\E", i + 2);
                    i = end < 0 ? regex.length() : end + 1;
                    continue;
                }
                if (!inClass && next >= '1' && next <= '9') {
                    return Optional.of("backreference \\" + next);
                }
                if (next == 'k') {
                    return Optional.of("named backreference \\k");
                }
                if (JAVA_ONLY_ESCAPES.indexOf(next) >= 0) {
                    return Optional.of("escape \\" + next);
                }
                i++;
                if ("pPx".indexOf(next) >= 0 && i + 1 < regex.length() && regex.charAt(i + 1) == '{') {
                    // \p{Greek}, \x{10FFFF}: the braces belong to the escape, not to a quantifier.
                    int end = regex.indexOf('}', i);
                    i = end < 0 ? regex.length() : end;
                }
            } else if (inClass) {
                inClass = c != ']';
            } else if (c == '[') {
                inClass = true;
                // A ']' right after '[' or '[^' is a literal, not the end of the class.
                if (next == '^') {
                    i++;
                }
                if (i + 1 < regex.length() && regex.charAt(i + 1) == ']') {
                    i++;
                }
            } else if (c == '(' && next == '?') {
                String rest = regex.substring(i + 2);
                if (rest.startsWith("=") || rest.startsWith("!")) {
                    return Optional.of("lookahead (?" + rest.charAt(0));
                }
                if (rest.startsWith("<=") || rest.startsWith("<!")) {
                    return Optional.of("lookbehind (?" + rest.substring(0, 2));
                }
                if (rest.startsWith(">")) {
                    return Optional.of("atomic group (?>");
                }
            } else if ((c == '*' || c == '+' || c == '?' || c == '}') && next == '+') {
                return Optional.of("possessive quantifier " + c + "+");
            }
        }
        return Optional.empty();
    }
}
