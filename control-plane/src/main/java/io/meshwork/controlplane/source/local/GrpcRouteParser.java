package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a Gateway API {@code GRPCRoute} ({@code gateway.networking.k8s.io} v1, and v1alpha2 of the same schema):
 * {@code parentRefs} to Services (GAMMA) or Gateways (with {@code sectionName}, {@code port} and {@code hostnames},
 * as an HTTPRoute's), rules of {@code matches} ({@code method}: {@code Exact} or
 * {@code RegularExpression} on {@code service} and {@code method}; {@code headers}), {@code backendRefs} with weights
 * and header modifiers, and the filters the spec gives a GRPCRoute rule (the header modifiers and
 * {@code RequestMirror}; a redirect or rewrite is refused). A GRPCRoute is an {@link HttpRoute} whose matches carry
 * their {@link HttpRoute.GrpcMethod}: a call is routed by its path {@code /service/method}, as Envoy and grpc-java
 * route it, and ordered by the GRPCRoute's own precedence ({@code translate.RoutePrecedence}).
 */
final class GrpcRouteParser implements KindParser<HttpRoute> {

    /** The spec's patterns for an Exact match's service (a protobuf full name) and method. */
    private static final Pattern SERVICE = Pattern.compile("(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*");
    private static final Pattern METHOD = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*");

    @Override
    public HttpRoute parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        List<HttpRoute.ParentRef> parents = new ArrayList<>();
        List<YamlObject> parentRefs = spec.objectList("parentRefs");
        for (YamlObject parent : parentRefs) {
            parents.add(HttpRouteParser.parentRef(ref, parent));
        }
        if (parents.isEmpty()) {
            throw spec.error("parentRefs", "at least one parentRef is required (a Service, for mesh traffic)");
        }
        List<HttpRoute.Rule> rules = new ArrayList<>();
        for (YamlObject rule : spec.objectList("rules")) {
            rules.add(rule(ref, rule));
        }
        if (rules.isEmpty()) {
            rules.add(new HttpRoute.Rule("", List.of(any()), List.of(), null, null, HttpRouteFilters.NONE));
        }
        return new HttpRoute(ref, HttpRouteParser.created(metadata), parents, rules, HttpRouteParser.hostnames(spec));
    }

    private static HttpRoute.Rule rule(ObjectRef route, YamlObject rule) {
        List<HttpRoute.Match> matches = new ArrayList<>();
        for (YamlObject match : rule.objectList("matches")) {
            matches.add(match(match));
        }
        if (matches.isEmpty()) {
            matches.add(any());
        }
        List<HttpRoute.BackendRef> backends = new ArrayList<>();
        for (YamlObject backend : rule.objectList("backendRefs")) {
            backends.add(HttpRouteParser.backendRef(route, backend, true));
        }
        return new HttpRoute.Rule(rule.optionalString("name").orElse(""), matches, backends, null, null,
                HttpRouteFilterParser.grpcRule(route, rule));
    }

    /** Every call: path prefix {@code /}, any service and method. */
    private static HttpRoute.Match any() {
        return new HttpRoute.Match(HttpRoute.Match.ANY.path(), List.of(), List.of(), "", HttpRoute.GrpcMethod.ANY);
    }

    private static HttpRoute.Match match(YamlObject match) {
        List<HttpRoute.ValueMatch> headers = HttpRouteParser.values(match, "headers", true);
        YamlObject method = match.optionalObject("method").orElse(null);
        if (method == null) {
            return new HttpRoute.Match(HttpRoute.Match.ANY.path(), headers, List.of(), "", HttpRoute.GrpcMethod.ANY);
        }
        String type = method.optionalString("type").orElse("Exact");
        String service = method.optionalString("service").orElse("");
        String name = method.optionalString("method").orElse("");
        HttpRoute.GrpcMethod grpc;
        HttpRoute.PathMatch path;
        switch (type) {
            case "Exact" -> {
                if (service.isEmpty() && name.isEmpty()) {
                    throw method.error("service", "service or method is required in an Exact method match");
                }
                if (!service.isEmpty() && !SERVICE.matcher(service).matches()) {
                    throw method.error("service", "\"" + service + "\" is not a gRPC service name (package.Service)");
                }
                if (!name.isEmpty() && !METHOD.matcher(name).matches()) {
                    throw method.error("method", "\"" + name + "\" is not a gRPC method name");
                }
                grpc = new HttpRoute.GrpcMethod(false, service, name);
                path = name.isEmpty() ? new HttpRoute.PathMatch(HttpRoute.PathType.PATH_PREFIX, "/" + service)
                        : service.isEmpty() ? new HttpRoute.PathMatch(HttpRoute.PathType.REGULAR_EXPRESSION, "/[^/]+/" + name)
                        : new HttpRoute.PathMatch(HttpRoute.PathType.EXACT, "/" + service + "/" + name);
            }
            case "RegularExpression" -> {
                if (!service.isEmpty()) {
                    Re2Syntax.check(method, "service", service);
                }
                if (!name.isEmpty()) {
                    Re2Syntax.check(method, "method", name);
                }
                grpc = new HttpRoute.GrpcMethod(true, service, name);
                path = new HttpRoute.PathMatch(HttpRoute.PathType.REGULAR_EXPRESSION, "/(?:"
                        + (service.isEmpty() ? "[^/]+" : service) + ")/(?:" + (name.isEmpty() ? "[^/]+" : name) + ")");
            }
            default -> throw method.error("type", "\"" + type + "\" is not a method match type (Exact, RegularExpression)");
        }
        return new HttpRoute.Match(path, headers, List.of(), "", grpc);
    }
}
