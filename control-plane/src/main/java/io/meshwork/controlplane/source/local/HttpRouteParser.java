package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Durations;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.ObjectRef;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a Gateway API {@code HTTPRoute} ({@code gateway.networking.k8s.io} v1 and v1beta1, the same schema) as
 * GAMMA and Gateways use it: {@code parentRefs} (Services, or Gateways with {@code sectionName} and {@code port}),
 * {@code hostnames} (for Gateway listeners; GAMMA ignores them), rules of {@code matches}
 * (path Exact, PathPrefix or RegularExpression in RE2, headers and query parameters Exact or RegularExpression,
 * method), {@code backendRefs} to Services with a port and a {@code weight} (default 1) and {@code timeouts}
 * (Gateway API durations: {@code 10s}, {@code 1h30m}, {@code 500ms}) and filters ({@link HttpRouteFilterParser}).
 * What the spec forbids or Meshwork cannot do (a bad path or regex, a filter it does not run) rejects the route with
 * the field named. References to other objects are
 * checked once everything is loaded ({@link HttpRouteWarnings}).
 */
final class HttpRouteParser implements KindParser<HttpRoute> {

    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
    /** GEP-2257: one to four parts of up to five digits and a unit; no fractions, no {@code us}. */
    private static final Pattern GATEWAY_DURATION = Pattern.compile("([0-9]{1,5}(h|m|s|ms)){1,4}");
    static final int MAX_WEIGHT = 1_000_000;

    @Override
    public HttpRoute parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        Instant created = created(metadata);
        YamlObject spec = document.requiredObject("spec");
        List<HttpRoute.ParentRef> parents = new ArrayList<>();
        for (YamlObject parent : spec.objectList("parentRefs")) {
            parents.add(parentRef(ref, parent));
        }
        if (parents.isEmpty()) {
            throw spec.error("parentRefs", "at least one parentRef is required (a Service, for mesh traffic)");
        }
        List<HttpRoute.Rule> rules = new ArrayList<>();
        for (YamlObject rule : spec.objectList("rules")) {
            rules.add(rule(ref, rule));
        }
        if (rules.isEmpty()) {
            // The API server defaults an absent list to one rule matching everything, without backends.
            rules.add(new HttpRoute.Rule("", List.of(HttpRoute.Match.ANY), List.of(), null, null, HttpRouteFilters.NONE));
        }
        return new HttpRoute(ref, created, parents, rules, hostnames(spec));
    }

    /** {@code spec.hostnames}, each checked as a Gateway listener's is (a {@code *.} wildcard first label allowed). */
    static List<String> hostnames(YamlObject spec) {
        List<String> hostnames = new ArrayList<>();
        List<String> written = spec.stringList("hostnames");
        for (int i = 0; i < written.size(); i++) {
            hostnames.add(GatewayParser.hostname(spec, "hostnames[" + i + "]", written.get(i)));
        }
        return hostnames;
    }

    /** {@code metadata.creationTimestamp}, null when absent (local files). */
    static Instant created(YamlObject metadata) {
        return metadata.optionalString("creationTimestamp").map(text -> {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw metadata.error("creationTimestamp", "\"" + text + "\" is not an RFC 3339 time");
            }
        }).orElse(null);
    }

    static HttpRoute.ParentRef parentRef(ObjectRef route, YamlObject parent) {
        String group = parent.optionalString("group").orElse("gateway.networking.k8s.io");
        String kind = parent.optionalString("kind").orElse("Gateway");
        String namespace = parent.optionalString("namespace").filter(s -> !s.isEmpty()).orElse(route.namespace());
        return new HttpRoute.ParentRef(group, kind, ObjectRef.of(namespace, parent.requiredString("name")),
                parent.optionalPort("port").orElse(null), parent.optionalString("sectionName").orElse(null));
    }

    private static HttpRoute.Rule rule(ObjectRef route, YamlObject rule) {
        List<HttpRoute.Match> matches = new ArrayList<>();
        for (YamlObject match : rule.objectList("matches")) {
            matches.add(match(match));
        }
        if (matches.isEmpty()) {
            matches.add(HttpRoute.Match.ANY);
        }
        List<HttpRoute.BackendRef> backends = new ArrayList<>();
        for (YamlObject backend : rule.objectList("backendRefs")) {
            backends.add(backendRef(route, backend, true));
        }
        HttpRouteFilters filters = HttpRouteFilterParser.rule(route, rule, !backends.isEmpty(), matches);
        Duration request = null;
        Duration backendRequest = null;
        YamlObject timeouts = rule.optionalObject("timeouts").orElse(null);
        if (timeouts != null) {
            request = gatewayDuration(timeouts, "request");
            backendRequest = gatewayDuration(timeouts, "backendRequest");
            if (request != null && backendRequest != null && !request.isZero()
                    && (backendRequest.isZero() || backendRequest.compareTo(request) > 0)) {
                throw timeouts.error("backendRequest", "must not be longer than request (" + Durations.format(request)
                        + "): a try cannot outlast the request");
            }
        }
        return new HttpRoute.Rule(rule.optionalString("name").orElse(""), matches, backends, request, backendRequest,
                filters);
    }

    private static HttpRoute.Match match(YamlObject match) {
        HttpRoute.PathMatch path = match.optionalObject("path").map(HttpRouteParser::path)
                .orElse(HttpRoute.Match.ANY.path());
        List<HttpRoute.ValueMatch> headers = values(match, "headers", true);
        List<HttpRoute.ValueMatch> queryParams = values(match, "queryParams", false);
        String method = match.optionalString("method").orElse("");
        if (!method.isEmpty() && !METHODS.contains(method)) {
            throw match.error("method", "\"" + method + "\" is not an HTTP method (GET, POST, ... in capitals)");
        }
        return new HttpRoute.Match(path, headers, queryParams, method);
    }

    private static HttpRoute.PathMatch path(YamlObject path) {
        String typeName = path.optionalString("type").orElse("PathPrefix");
        String value = path.optionalString("value").orElse("/");
        HttpRoute.PathType type = switch (typeName) {
            case "Exact" -> HttpRoute.PathType.EXACT;
            case "PathPrefix" -> HttpRoute.PathType.PATH_PREFIX;
            case "RegularExpression" -> HttpRoute.PathType.REGULAR_EXPRESSION;
            default -> throw path.error("type", "\"" + typeName + "\" is not a path match type (Exact, PathPrefix, "
                    + "RegularExpression)");
        };
        if (type == HttpRoute.PathType.REGULAR_EXPRESSION) {
            Re2Syntax.check(path, "value", value);
            return new HttpRoute.PathMatch(type, value);
        }
        if (!value.startsWith("/") || value.contains("//") || value.contains("#") || value.contains("/./")
                || value.contains("/../") || value.endsWith("/.") || value.endsWith("/..")
                || value.toLowerCase(Locale.ROOT).contains("%2f")) {
            throw path.error("value", "\"" + value + "\" is not an absolute path the Gateway API allows (it starts "
                    + "with /, without //, /./, /../, # or %2F)");
        }
        if (type == HttpRoute.PathType.PATH_PREFIX && value.length() > 1 && value.endsWith("/")) {
            value = value.substring(0, value.length() - 1); // the spec ignores a prefix's trailing slash
        }
        return new HttpRoute.PathMatch(type, value);
    }

    /** Header or query parameter matches; of several naming the same one, only the first counts (as the spec says). */
    static List<HttpRoute.ValueMatch> values(YamlObject match, String key, boolean headers) {
        List<HttpRoute.ValueMatch> values = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (YamlObject item : match.objectList(key)) {
            String name = item.requiredString("name");
            if (!HttpRouteFilterParser.HEADER_NAME.matcher(name).matches()) {
                throw item.error("name", "\"" + name + "\" is not a valid " + (headers ? "header" : "query parameter")
                        + " name");
            }
            String value = item.optionalString("value").orElseThrow(() -> item.error("value", "is required"));
            String type = item.optionalString("type").orElse("Exact");
            boolean regex = switch (type) {
                case "Exact" -> false;
                case "RegularExpression" -> true;
                default -> throw item.error("type", "\"" + type + "\" is not a match type (Exact, RegularExpression)");
            };
            if (regex) {
                Re2Syntax.check(item, "value", value);
            }
            // Header names are case-insensitive, query parameter names are not.
            String matchName = headers ? name.toLowerCase(Locale.ROOT) : name;
            if (names.add(matchName)) {
                values.add(new HttpRoute.ValueMatch(matchName, regex, value));
            }
        }
        return values;
    }

    /**
     * A backend; {@code weighted}: a rule's (with a weight and filters), else a mirror's. One of another kind than
     * Service is kept, as the spec says (the route is accepted; that backend's share is answered 500, InvalidKind), with
     * its port optional.
     */
    static HttpRoute.BackendRef backendRef(ObjectRef route, YamlObject backend, boolean weighted) {
        String group = backend.optionalString("group").orElse("");
        String kind = backend.optionalString("kind").orElse("Service");
        boolean service = (group.isEmpty() || group.equals("core")) && kind.equals("Service");
        String kindText = service ? HttpRoute.BackendRef.SERVICE : (group.isEmpty() ? "" : group + "/") + kind;
        String name = backend.requiredString("name");
        String namespace = backend.optionalString("namespace").filter(s -> !s.isEmpty()).orElse(route.namespace());
        int port = service ? backend.optionalPort("port").orElseThrow(() -> backend.error("port", "is required for a "
                + "Service backend")) : backend.optionalPort("port").orElse(0);
        if (!weighted) {
            return new HttpRoute.BackendRef(ObjectRef.of(namespace, name), port, 1, HttpRouteFilters.NONE, kindText);
        }
        int weight = backend.optionalInt("weight").orElse(1);
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw backend.error("weight", weight + " is not in 0.." + MAX_WEIGHT);
        }
        return new HttpRoute.BackendRef(ObjectRef.of(namespace, name), port, weight,
                HttpRouteFilterParser.backend(route, backend), kindText);
    }

    private static Duration gatewayDuration(YamlObject owner, String key) {
        owner.optionalString(key).filter(text -> !GATEWAY_DURATION.matcher(text).matches()).ifPresent(text -> {
            throw owner.error(key, "\"" + text + "\" is not a Gateway API duration (up to four parts of up to five "
                    + "digits with h, m, s or ms: 10s, 1m30s, 500ms)");
        });
        return owner.optionalDuration(key).orElse(null);
    }
}
