package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.TrafficTarget;
import io.meshwork.controlplane.model.Workload;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;

/**
 * SMI TrafficTargets as Envoy RBAC: once a TrafficTarget names a workload's service account, each of
 * its inbound ports gets an ALLOW policy per TrafficTarget that applies to the port (principals: the
 * sources' SPIFFE IDs as {@code authenticated.principal_name}; permissions: the HTTPRouteGroup matches
 * of its rules, or any), as {@code envoy.filters.http.rbac} before the router on HTTP ports and
 * {@code envoy.filters.network.rbac} before tcp_proxy on TCP ports. A port no TrafficTarget covers gets
 * an RBAC with no policy: nothing is allowed. A rule naming a route group or match that does not exist
 * allows nothing (fail closed). Workloads no TrafficTarget names get no RBAC at all.
 */
final class Authorization {

    static final String HTTP_RBAC = "envoy.filters.http.rbac";
    static final String NETWORK_RBAC = "envoy.filters.network.rbac";

    private Authorization() {
    }

    /** The RBAC rules for a workload's port, or empty when no TrafficTarget protects the workload. */
    static Optional<RBAC> rules(MeshSnapshot snapshot, Workload workload, int port, boolean http) {
        List<TrafficTarget> targets = snapshot.trafficTargetsOf(workload);
        if (targets.isEmpty()) {
            return Optional.empty();
        }
        RBAC.Builder rbac = RBAC.newBuilder().setAction(RBAC.Action.ALLOW);
        for (TrafficTarget target : targets) {
            if (target.port() != null && target.port() != port) {
                continue;
            }
            Policy.Builder policy = Policy.newBuilder();
            target.sources().stream().sorted().forEach(source -> policy.addPrincipals(principal(snapshot, source)));
            Permission permission = http ? httpPermission(snapshot, target) : any();
            policy.addPermissions(permission);
            rbac.putPolicies(target.ref().namespace() + "/" + target.ref().name(), policy.build());
        }
        return Optional.of(rbac.build());
    }

    static HttpFilter httpFilter(RBAC rules) {
        return HttpFilter.newBuilder().setName(HTTP_RBAC).setTypedConfig(Any.pack(
                io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules).build())).build();
    }

    static Filter networkFilter(String statPrefix, RBAC rules) {
        return Filter.newBuilder().setName(NETWORK_RBAC).setTypedConfig(Any.pack(
                io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder()
                        .setStatPrefix(statPrefix).setRules(rules).build())).build();
    }

    private static Principal principal(MeshSnapshot snapshot, ObjectRef serviceAccount) {
        return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(
                StringMatcher.newBuilder().setExact(snapshot.trust().spiffeId(serviceAccount.namespace(),
                        serviceAccount.name())))).build();
    }

    private static Permission any() {
        return Permission.newBuilder().setAny(true).build();
    }

    /** Any of the target's HTTP rules; no HTTP rule at all: any request. */
    private static Permission httpPermission(MeshSnapshot snapshot, TrafficTarget target) {
        List<TrafficSplit.RouteGroupMatch> httpRules = target.rules().stream()
                .filter(rule -> rule.kind().equals("HTTPRouteGroup")).toList();
        if (httpRules.isEmpty()) {
            return any();
        }
        Permission.Set.Builder alternatives = Permission.Set.newBuilder();
        for (TrafficSplit.RouteGroupMatch rule : httpRules) {
            HttpRouteGroup group = snapshot.routeGroups().get(ObjectRef.of(target.ref().namespace(), rule.name()));
            if (group == null) {
                continue;
            }
            for (HttpRouteGroup.Match match : group.matches()) {
                if (rule.matchNames().isEmpty() || rule.matchNames().contains(match.name())) {
                    alternatives.addRules(permission(match));
                }
            }
        }
        // Nothing resolvable leaves an or_rules with no entry, which matches no request.
        return Permission.newBuilder().setOrRules(alternatives).build();
    }

    /** One HTTPRouteGroup match: path regex, methods and headers must all hold. */
    @SuppressWarnings("deprecation")
    private static Permission permission(HttpRouteGroup.Match match) {
        Permission.Set.Builder all = Permission.Set.newBuilder();
        if (!match.pathRegex().isEmpty()) {
            all.addRules(Permission.newBuilder().setUrlPath(PathMatcher.newBuilder().setPath(
                    StringMatcher.newBuilder().setSafeRegex(EnvoyProtos.regex(match.pathRegex())))));
        }
        List<String> methods = match.methods().stream().map(m -> m.toUpperCase(Locale.ROOT)).sorted().toList();
        if (!methods.isEmpty() && !methods.contains("*")) {
            all.addRules(Permission.newBuilder().setHeader(HeaderMatcher.newBuilder().setName(":method")
                    .setSafeRegexMatch(EnvoyProtos.regex(String.join("|", methods)))));
        }
        new TreeMap<>(match.headers()).forEach((name, regex) -> all.addRules(Permission.newBuilder().setHeader(
                HeaderMatcher.newBuilder().setName(name.toLowerCase(Locale.ROOT)).setSafeRegexMatch(EnvoyProtos.regex(regex)))));
        if (all.getRulesCount() == 0) {
            return any();
        }
        return Permission.newBuilder().setAndRules(all).build();
    }
}
