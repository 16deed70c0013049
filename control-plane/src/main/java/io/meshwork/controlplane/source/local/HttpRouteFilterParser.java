package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the {@code filters} of an HTTPRoute rule or backendRef: {@code RequestHeaderModifier},
 * {@code ResponseHeaderModifier}, {@code RequestRedirect}, {@code URLRewrite} and {@code RequestMirror} on a rule
 * (each once but mirrors; a redirect with neither a rewrite nor backendRefs), only the two header modifiers on a
 * backendRef, as the spec allows. A filter type Meshwork does not run ({@code ExtensionRef}, {@code CORS}, ...) is an
 * error naming it, so that a route never runs without a filter its author counted on.
 */
final class HttpRouteFilterParser {

    static final Pattern HEADER_NAME = Pattern.compile("[-!#$%&'*+.^_`|~0-9A-Za-z]+");
    private static final Pattern HOSTNAME = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Set<Integer> REDIRECT_CODES = Set.of(301, 302, 303, 307, 308);

    private HttpRouteFilterParser() {
    }

    /** The filters of a rule; {@code hasBackends} and {@code matches} for the checks across the rule. */
    static HttpRouteFilters rule(ObjectRef route, YamlObject rule, boolean hasBackends, List<HttpRoute.Match> matches) {
        HttpRouteFilters filters = read(route, rule, Owner.HTTP_RULE);
        if (filters.redirect() != null && filters.rewrite() != null) {
            throw rule.error("filters", "RequestRedirect and URLRewrite cannot be used together");
        }
        if (filters.redirect() != null && hasBackends) {
            throw rule.error("backendRefs", "must be empty in a rule with a RequestRedirect (the redirect answers)");
        }
        boolean prefixReplaced = (filters.redirect() != null && replacesPrefix(filters.redirect().path()))
                || (filters.rewrite() != null && replacesPrefix(filters.rewrite().path()));
        if (prefixReplaced && matches.stream().anyMatch(m -> m.path().type() != HttpRoute.PathType.PATH_PREFIX)) {
            throw rule.error("filters", "ReplacePrefixMatch needs every match of the rule to be a PathPrefix match");
        }
        return filters;
    }

    /**
     * The filters of a GRPCRoute rule: the header modifiers and {@code RequestMirror}, the only ones that spec gives a
     * GRPCRoute rule; any other is refused naming it.
     */
    static HttpRouteFilters grpcRule(ObjectRef route, YamlObject rule) {
        return read(route, rule, Owner.GRPC_RULE);
    }

    /** The filters of a backendRef: header modifiers only. */
    static HttpRouteFilters backend(ObjectRef route, YamlObject backend) {
        return read(route, backend, Owner.BACKEND);
    }

    private static boolean replacesPrefix(HttpRouteFilters.PathModifier path) {
        return path != null && !path.fullPath();
    }

    /** What holds the filters: each allows its own types, as the spec gives them. */
    private enum Owner {
        HTTP_RULE, GRPC_RULE, BACKEND
    }

    private static HttpRouteFilters read(ObjectRef route, YamlObject owner, Owner kind) {
        HttpRouteFilters.HeaderModifier request = null;
        HttpRouteFilters.HeaderModifier response = null;
        HttpRouteFilters.Redirect redirect = null;
        HttpRouteFilters.Rewrite rewrite = null;
        List<HttpRouteFilters.Mirror> mirrors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (YamlObject filter : owner.objectList("filters")) {
            String type = filter.requiredString("type");
            if (kind == Owner.GRPC_RULE && (type.equals("RequestRedirect") || type.equals("URLRewrite"))) {
                throw filter.error("type", "filter \"" + type + "\" is not allowed on a GRPCRoute rule "
                        + "(RequestHeaderModifier, ResponseHeaderModifier, RequestMirror)");
            }
            boolean allowed = switch (type) {
                case "RequestHeaderModifier", "ResponseHeaderModifier" -> true;
                case "RequestRedirect", "URLRewrite", "RequestMirror" -> kind != Owner.BACKEND;
                default -> false;
            };
            if (!allowed) {
                throw filter.error("type", "filter \"" + type + "\" is not supported " + (kind != Owner.BACKEND ? "by Meshwork"
                        : "on a backendRef (RequestHeaderModifier, ResponseHeaderModifier)"));
            }
            if (!type.equals("RequestMirror") && !seen.add(type)) {
                throw filter.error("type", type + " appears more than once");
            }
            switch (type) {
                case "RequestHeaderModifier" -> request = headers(filter.requiredObject("requestHeaderModifier"));
                case "ResponseHeaderModifier" -> response = headers(filter.requiredObject("responseHeaderModifier"));
                case "RequestRedirect" -> redirect = redirect(filter.requiredObject("requestRedirect"));
                case "URLRewrite" -> rewrite = rewrite(filter.requiredObject("urlRewrite"));
                default -> mirrors.add(mirror(route, filter.requiredObject("requestMirror")));
            }
        }
        return new HttpRouteFilters(request, response, redirect, rewrite, mirrors);
    }

    private static HttpRouteFilters.HeaderModifier headers(YamlObject modifier) {
        List<HttpRouteFilters.Header> set = headerList(modifier, "set");
        List<HttpRouteFilters.Header> add = headerList(modifier, "add");
        List<String> remove = modifier.stringList("remove");
        Set<String> names = new HashSet<>();
        for (String name : remove) {
            checkName(modifier, "remove", name);
            if (!names.add(name.toLowerCase(Locale.ROOT))) {
                throw modifier.error("remove", "header \"" + name + "\" is listed twice");
            }
        }
        if (set.isEmpty() && add.isEmpty() && remove.isEmpty()) {
            throw modifier.error("set", "a header modifier sets, adds or removes at least one header");
        }
        return new HttpRouteFilters.HeaderModifier(set, add, remove);
    }

    private static List<HttpRouteFilters.Header> headerList(YamlObject modifier, String key) {
        List<HttpRouteFilters.Header> headers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlObject header : modifier.objectList(key)) {
            String name = header.requiredString("name");
            checkName(header, "name", name);
            if (!names.add(name.toLowerCase(Locale.ROOT))) {
                throw header.error("name", "header \"" + name + "\" is listed twice in " + key);
            }
            headers.add(new HttpRouteFilters.Header(name,
                    header.optionalString("value").orElseThrow(() -> header.error("value", "is required"))));
        }
        return headers;
    }

    private static void checkName(YamlObject owner, String key, String name) {
        if (!HEADER_NAME.matcher(name).matches()) {
            throw owner.error(key, "\"" + name + "\" is not a valid header name");
        }
    }

    private static HttpRouteFilters.Redirect redirect(YamlObject redirect) {
        String scheme = redirect.optionalString("scheme").orElse(null);
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
            throw redirect.error("scheme", "\"" + scheme + "\" is not http or https");
        }
        int status = redirect.optionalInt("statusCode").orElse(302);
        if (!REDIRECT_CODES.contains(status)) {
            throw redirect.error("statusCode", status + " is not a redirect status (301, 302, 303, 307, 308)");
        }
        return new HttpRouteFilters.Redirect(scheme, hostname(redirect), redirect.optionalPort("port").orElse(null),
                redirect.optionalObject("path").map(HttpRouteFilterParser::path).orElse(null), status);
    }

    private static HttpRouteFilters.Rewrite rewrite(YamlObject rewrite) {
        HttpRouteFilters.PathModifier path = rewrite.optionalObject("path").map(HttpRouteFilterParser::path).orElse(null);
        String hostname = hostname(rewrite);
        if (hostname == null && path == null) {
            throw rewrite.error("path", "a URLRewrite rewrites the hostname, the path or both");
        }
        return new HttpRouteFilters.Rewrite(hostname, path);
    }

    private static String hostname(YamlObject owner) {
        String hostname = owner.optionalString("hostname").orElse(null);
        if (hostname != null && (hostname.length() > 253 || !HOSTNAME.matcher(hostname).matches())) {
            throw owner.error("hostname", "\"" + hostname + "\" is not a host name (lowercase letters, digits, '-' and '.')");
        }
        return hostname;
    }

    private static HttpRouteFilters.PathModifier path(YamlObject path) {
        String type = path.requiredString("type");
        String key = switch (type) {
            case "ReplaceFullPath" -> "replaceFullPath";
            case "ReplacePrefixMatch" -> "replacePrefixMatch";
            default -> throw path.error("type", "\"" + type + "\" is not a path modifier (ReplaceFullPath, ReplacePrefixMatch)");
        };
        String value = path.optionalString(key).orElseThrow(() -> path.error(key, "is required for " + type));
        if (!value.startsWith("/") || value.contains("?") || value.contains("#")) {
            throw path.error(key, "\"" + value + "\" is not an absolute path without query or fragment");
        }
        return new HttpRouteFilters.PathModifier(type.equals("ReplaceFullPath"), value);
    }

    private static HttpRouteFilters.Mirror mirror(ObjectRef route, YamlObject mirror) {
        HttpRoute.BackendRef backend = HttpRouteParser.backendRef(route, mirror.requiredObject("backendRef"), false);
        if (mirror.has("percent") && mirror.has("fraction")) {
            throw mirror.error("fraction", "give percent or fraction, not both");
        }
        long numerator = 100;
        long denominator = 100;
        if (mirror.has("percent")) {
            numerator = mirror.requiredInt("percent");
            if (numerator < 0 || numerator > 100) {
                throw mirror.error("percent", numerator + " is not in 0..100");
            }
        }
        YamlObject fraction = mirror.optionalObject("fraction").orElse(null);
        if (fraction != null) {
            numerator = fraction.requiredInt("numerator");
            denominator = fraction.optionalInt("denominator").orElse(100);
            if (numerator < 0 || denominator < 1 || numerator > denominator) {
                throw fraction.error("numerator", numerator + "/" + denominator + " is not a fraction in 0..1");
            }
        }
        return new HttpRouteFilters.Mirror(backend, numerator, denominator);
    }
}
