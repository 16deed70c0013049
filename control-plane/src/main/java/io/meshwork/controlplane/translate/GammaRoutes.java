package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Envoy routes of the HTTPRoutes attached to one Service port (GAMMA), in {@link RoutePrecedence} order: one route
 * per match of every rule, with Envoy's own fields ({@code path}, {@code path_separated_prefix}, {@code safe_regex},
 * {@code headers}, {@code query_parameters}, {@code :method}; {@code weighted_clusters}; {@code timeout} and
 * {@code retry_policy.per_try_timeout}). No catch-all follows them: a request no rule matches gets 404, as the
 * conformance suite expects. A backend that cannot be called keeps its weight on {@link #INVALID_BACKEND}, a cluster
 * that does not exist, with {@code cluster_not_found_response_code} 500: its share is answered 500, as the spec says.
 */
final class GammaRoutes {

    /** Never a cluster: the share of backends that cannot be called (or of a rule without any) answers 500. */
    static final String INVALID_BACKEND = "invalid-backend-cluster";

    private final MeshSnapshot snapshot;
    /** Proxyless gRPC clients (grpc-java) do not read {@code path_separated_prefix}; they get the same as a regex. */
    private final boolean proxyless;

    GammaRoutes(MeshSnapshot snapshot, boolean proxyless) {
        this.snapshot = snapshot;
        this.proxyless = proxyless;
    }

    List<Route> routes(List<HttpRoute> httpRoutes, MeshService service, ServicePort port) {
        return matchRoutes(httpRoutes, service.ref(), port);
    }

    /**
     * The routes of {@code httpRoutes} on a Gateway listener's {@code port}: as for a Service port, but without a
     * Service's MeshTimeout and MeshRetry (the listener calls no one Service).
     */
    List<Route> gatewayRoutes(List<HttpRoute> httpRoutes, int port) {
        return matchRoutes(httpRoutes, null, new ServicePort("http", port, "", io.meshwork.controlplane.model.Protocol.HTTP));
    }

    /** {@code policyTarget}: the Service whose resilience policies apply, null for none. */
    private List<Route> matchRoutes(List<HttpRoute> httpRoutes, ObjectRef policyTarget, ServicePort port) {
        List<RoutePrecedence.Candidate> candidates = new ArrayList<>();
        for (HttpRoute route : httpRoutes) {
            for (int r = 0; r < route.rules().size(); r++) {
                for (int m = 0; m < route.rules().get(r).matches().size(); m++) {
                    candidates.add(new RoutePrecedence.Candidate(route, r, m));
                }
            }
        }
        candidates.sort(RoutePrecedence.ORDER);
        List<Route> routes = new ArrayList<>();
        for (RoutePrecedence.Candidate candidate : candidates) {
            HttpRoute.Rule rule = candidate.rule();
            Route.Builder route = Route.newBuilder()
                    .setName(candidate.route().ref() + "/rule/" + (rule.name().isEmpty() ? candidate.ruleIndex() : rule.name())
                            + "/match/" + candidate.matchIndex())
                    .setMatch(match(candidate.match()));
            GammaFilters.headers(route, rule.filters());
            if (rule.filters().redirect() != null) {
                route.setRedirect(GammaFilters.redirect(rule.filters().redirect(), candidate.match().path(), port.port()));
            } else {
                RouteAction.Builder action = action(candidate.route(), rule, policyTarget, port);
                GammaFilters.rewriteAndMirror(action, rule.filters(), candidate.match().path(),
                        mirrorClusters(candidate.route(), rule));
                route.setRoute(action);
            }
            routes.add(route.build());
        }
        return routes;
    }

    private RouteMatch match(HttpRoute.Match match) {
        RouteMatch.Builder envoy = RouteMatch.newBuilder();
        String path = match.path().value();
        switch (match.path().type()) {
            case EXACT -> envoy.setPath(path);
            case REGULAR_EXPRESSION -> envoy.setSafeRegex(EnvoyProtos.regex(path));
            case PATH_PREFIX -> {
                if (path.equals("/")) {
                    envoy.setPrefix("/");
                } else if (proxyless) {
                    envoy.setSafeRegex(EnvoyProtos.regex(GammaFilters.literal(path) + "(/.*)?"));
                } else {
                    envoy.setPathSeparatedPrefix(path);
                }
            }
        }
        if (!match.method().isEmpty()) {
            envoy.addHeaders(HeaderMatcher.newBuilder().setName(":method").setStringMatch(exact(match.method())));
        }
        for (HttpRoute.ValueMatch header : match.headers()) {
            envoy.addHeaders(HeaderMatcher.newBuilder().setName(header.name()).setStringMatch(string(header)));
        }
        for (HttpRoute.ValueMatch param : match.queryParams()) {
            envoy.addQueryParameters(QueryParameterMatcher.newBuilder().setName(param.name()).setStringMatch(string(param)));
        }
        return envoy.build();
    }

    private RouteAction.Builder action(HttpRoute route, HttpRoute.Rule rule, ObjectRef policyTarget, ServicePort port) {
        Map<String, Long> weights = new TreeMap<>();
        WeightedCluster.Builder filtered = WeightedCluster.newBuilder();
        for (HttpRoute.BackendRef backend : rule.backends()) {
            if (backend.weight() > 0) {
                String cluster = route.unresolved(backend, snapshot.services(), snapshot.gateways()).isPresent() ? INVALID_BACKEND
                        : ResourceNames.outboundCluster(backend.service(), backend.port());
                weights.merge(cluster, (long) backend.weight(), Long::sum);
                WeightedCluster.ClusterWeight.Builder weighted = filtered.addClustersBuilder().setName(cluster)
                        .setWeight(EnvoyProtos.uint32(backend.weight()));
                GammaFilters.headers(weighted, backend.filters());
            }
        }
        if (weights.isEmpty()) {
            weights.put(INVALID_BACKEND, 1L); // no backend to send to: 500, as the spec says
        }
        RouteAction.Builder action = RouteAction.newBuilder().setTimeout(RouteBuilder.timeout(port.protocol()));
        if (rule.backends().stream().allMatch(b -> b.filters().isEmpty()) || filtered.getClustersCount() == 0) {
            RouteBuilder.toClusters(action, weights);
        } else {
            action.setWeightedClusters(filtered); // a backend's own header modifiers ride on its weighted cluster
        }
        if (weights.containsKey(INVALID_BACKEND)) {
            action.setClusterNotFoundResponseCode(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
        }
        if (policyTarget != null) {
            ResiliencePolicies.route(action, snapshot.policies(), policyTarget, port);
        }
        // The rule's own timeouts are more specific than a MeshTimeout aimed at the whole Service.
        if (rule.requestTimeout() != null) {
            action.setTimeout(EnvoyProtos.duration(rule.requestTimeout()));
            if (port.protocol() == io.meshwork.controlplane.model.Protocol.GRPC) {
                action.setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder()
                        .setMaxStreamDuration(EnvoyProtos.duration(rule.requestTimeout())));
            }
        }
        if (rule.backendRequestTimeout() != null && !rule.backendRequestTimeout().isZero()) {
            RetryPolicy.Builder retry = action.hasRetryPolicy() ? action.getRetryPolicy().toBuilder()
                    : RetryPolicy.newBuilder().setNumRetries(EnvoyProtos.uint32(0));
            action.setRetryPolicy(retry.setPerTryTimeout(EnvoyProtos.duration(rule.backendRequestTimeout())));
        }
        return action;
    }

    /** The mirrors of a rule whose backend can be called, with their clusters (the others are warned about). */
    private Map<HttpRouteFilters.Mirror, String> mirrorClusters(HttpRoute route, HttpRoute.Rule rule) {
        Map<HttpRouteFilters.Mirror, String> clusters = new java.util.LinkedHashMap<>();
        for (HttpRouteFilters.Mirror mirror : rule.filters().mirrors()) {
            if (route.unresolved(mirror.backend(), snapshot.services(), snapshot.gateways()).isEmpty()) {
                clusters.put(mirror, ResourceNames.outboundCluster(mirror.backend().service(),
                        mirror.backend().port()));
            }
        }
        return clusters;
    }

    private static StringMatcher string(HttpRoute.ValueMatch match) {
        return match.regex() ? StringMatcher.newBuilder().setSafeRegex(EnvoyProtos.regex(match.value())).build()
                : exact(match.value());
    }

    private static StringMatcher exact(String value) {
        return StringMatcher.newBuilder().setExact(value).build();
    }
}
