package io.meshwork.controlplane.model;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A Gateway API {@code HTTPRoute} (GAMMA): for calls to the Services its {@code parentRefs} name, rules of request
 * matches, weighted {@code backendRefs} and timeouts. A rule's matches are alternatives (OR); within a match, path,
 * headers, query parameters and method must all hold (AND). A rule written without matches has one: path prefix
 * {@code /}. Which route and rule wins across routes is {@code translate.RoutePrecedence}'s job.
 *
 * @param created {@code metadata.creationTimestamp}, null when the object has none (local files): the older
 *                route wins a tie, then the first by namespace/name
 * @param hostnames {@code spec.hostnames}: what a Gateway listener serves it under; GAMMA ignores them
 */
public record HttpRoute(ObjectRef ref, Instant created, List<ParentRef> parents, List<Rule> rules,
                        List<String> hostnames) {

    public HttpRoute {
        parents = List.copyOf(parents);
        rules = List.copyOf(rules);
        hostnames = List.copyOf(hostnames);
    }

    /** A route without {@code hostnames} (GAMMA ignores them). */
    public HttpRoute(ObjectRef ref, Instant created, List<ParentRef> parents, List<Rule> rules) {
        this(ref, created, parents, rules, List.of());
    }

    /** The Service parents among {@code parents}: only these attach the route to mesh traffic. */
    public List<ParentRef> serviceParents() {
        return parents.stream().filter(ParentRef::isService).toList();
    }

    /**
     * Why {@code backend} cannot be called, empty when it can: it must be a Service of this route's namespace, or one
     * of the route's Service parents (a consumer route calling the Service it routes), with the port named; another
     * namespace's needs a ReferenceGrant there (RefNotPermitted), read from {@code gateways}; a backend of another
     * kind than Service is never called (InvalidKind). Requests for its share are answered 500, as the spec says.
     */
    public java.util.Optional<String> unresolved(BackendRef backend, java.util.Map<ObjectRef, MeshService> services,
                                                 Gateways gateways) {
        ObjectRef target = backend.service();
        if (!backend.isService()) {
            return java.util.Optional.of("\"" + backend.kind() + "\" " + target.name() + " is not a backend kind "
                    + "Meshwork routes to (Service) (InvalidKind)");
        }
        if (serviceParents().stream().noneMatch(parent -> parent.ref().equals(target))
                && !gateways.permits("HTTPRoute", ref.namespace(), "Service", target)) {
            return java.util.Optional.of("\"" + target + "\" is in another namespace and no ReferenceGrant in "
                    + target.namespace() + " lets HTTPRoutes of " + ref.namespace() + " refer to it (RefNotPermitted)");
        }
        MeshService service = services.get(target);
        if (service == null) {
            return java.util.Optional.of("\"" + target.name() + "\" is not a Service in namespace " + target.namespace());
        }
        if (service.port(backend.port()).isEmpty()) {
            return java.util.Optional.of("Service " + target.name() + " has no port " + backend.port());
        }
        return java.util.Optional.empty();
    }

    /**
     * A {@code parentRefs} entry. GAMMA's parents are Services ({@code group: ""} or {@code core}, {@code kind:
     * Service}), optionally one port of it; a Gateway's, optionally one listener ({@code sectionName}, {@code port}).
     */
    public record ParentRef(String group, String kind, ObjectRef ref, Integer port, String sectionName) {

        /** A parent without {@code sectionName}. */
        public ParentRef(String group, String kind, ObjectRef ref, Integer port) {
            this(group, kind, ref, port, null);
        }

        public boolean isService() {
            return (group.isEmpty() || group.equals("core")) && kind.equals("Service");
        }

        /** A Gateway parent: the route is served by that Gateway's listeners ({@link GatewayAttachment}). */
        public boolean isGateway() {
            return group.equals(Gateways.GROUP) && kind.equals("Gateway");
        }

        /** Whether this parent takes calls to {@code port} of {@code service}. */
        public boolean covers(ObjectRef service, int servicePort) {
            return isService() && ref.equals(service) && (port == null || port == servicePort);
        }
    }

    /**
     * One rule.
     *
     * @param name the rule's {@code name}, empty when it has none
     * @param requestTimeout {@code timeouts.request}: the whole request, retries included; null unset, zero none
     * @param backendRequestTimeout {@code timeouts.backendRequest}: each try to a backend; null unset, zero none
     * @param filters what the rule does to requests and responses besides routing them
     */
    public record Rule(String name, List<Match> matches, List<BackendRef> backends, Duration requestTimeout,
                       Duration backendRequestTimeout, HttpRouteFilters filters) {
        public Rule {
            matches = List.copyOf(matches);
            backends = List.copyOf(backends);
            filters = filters == null ? HttpRouteFilters.NONE : filters;
        }
    }

    /** A request match; {@code method} is empty for any method. */
    public record Match(PathMatch path, List<ValueMatch> headers, List<ValueMatch> queryParams, String method,
                        GrpcMethod grpc) {
        public Match {
            headers = List.copyOf(headers);
            queryParams = List.copyOf(queryParams);
        }

        /** An HTTPRoute's match. */
        public Match(PathMatch path, List<ValueMatch> headers, List<ValueMatch> queryParams, String method) {
            this(path, headers, queryParams, method, null);
        }

        /** What a rule without matches matches: every request. */
        public static final Match ANY = new Match(new PathMatch(PathType.PATH_PREFIX, "/"), List.of(), List.of(), "");
    }

    /**
     * A GRPCRoute's method match, kept beside the path match it is routed by ({@code /service/method}) for the
     * GRPCRoute's own precedence; an empty service or method matches any.
     */
    public record GrpcMethod(boolean regex, String service, String method) {

        /** What a GRPCRoute rule without matches matches: every call. */
        public static final GrpcMethod ANY = new GrpcMethod(false, "", "");
    }

    /** {@code GRPCRoute} when this route was written as one (its matches carry {@link GrpcMethod}s), else {@code HTTPRoute}. */
    public String kind() {
        return rules.stream().flatMap(r -> r.matches().stream()).anyMatch(m -> m.grpc() != null) ? "GRPCRoute" : "HTTPRoute";
    }

    /** The Gateway API's path match types. */
    public enum PathType { EXACT, PATH_PREFIX, REGULAR_EXPRESSION }

    /** A path match; a PathPrefix value is kept without its trailing slash (but {@code /} stays). */
    public record PathMatch(PathType type, String value) {
    }

    /** A header (name lower-cased) or query parameter match: exact value, or a regex (RE2) the whole value matches. */
    public record ValueMatch(String name, boolean regex, String value) {
    }

    /**
     * A backend, its relative weight (0: no traffic) and its own filters (header modifiers).
     *
     * @param service the backend's namespace and name (a Service's, unless {@code kind} says otherwise)
     * @param port its port; 0 when a backend of another kind names none
     * @param kind {@value #SERVICE}, or the other kind as written ({@code group/Kind}, or {@code Kind} in the core
     *             group): the route is accepted, and that backend's share answered 500 (ResolvedRefs InvalidKind)
     */
    public record BackendRef(ObjectRef service, int port, int weight, HttpRouteFilters filters, String kind) {

        public static final String SERVICE = "Service";

        public BackendRef {
            filters = filters == null ? HttpRouteFilters.NONE : filters;
            kind = kind == null || kind.isEmpty() ? SERVICE : kind;
        }

        /** A Service backend. */
        public BackendRef(ObjectRef service, int port, int weight, HttpRouteFilters filters) {
            this(service, port, weight, filters, SERVICE);
        }

        /** Whether this is a Service (core group): the only kind Meshwork routes to. */
        public boolean isService() {
            return kind.equals(SERVICE);
        }
    }
}
