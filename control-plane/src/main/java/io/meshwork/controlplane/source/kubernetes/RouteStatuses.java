package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.GatewayAttachment;
import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.local.ConfigProblem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Gateway API status of HTTPRoutes and GRPCRoutes attached to Services (GAMMA), as an implementation writes it: in
 * {@code status.parents}, one entry per Service parentRef with {@code controllerName}
 * {@value #CONTROLLER} and the conditions {@code Accepted} (True {@code Accepted}; False {@code UnsupportedValue}
 * when the route is refused, with the one line the control plane logs, or {@code NoMatchingParent} when the Service or
 * its port does not exist) and {@code ResolvedRefs} (True {@code ResolvedRefs}; False {@code BackendNotFound} or
 * {@code RefNotPermitted}, naming the backend), each with {@code observedGeneration}. Other controllers' entries are
 * kept. Routes with Gateway parents of Meshwork's class get an entry per such parent too: Accepted as
 * {@link GatewayAttachment} attaches them (True; False NotAllowedByListeners, NoMatchingListenerHostname,
 * NoMatchingParent, Conflicted when a route of the other kind holds its host names, or UnsupportedValue when refused) and the same ResolvedRefs (False InvalidKind for a backend that is
 * no Service). A status is written only when a condition changed (a condition keeps its {@code lastTransitionTime} while its
 * status stays), so a steady mesh writes nothing; only the leader writes.
 */
final class RouteStatuses {

    static final String CONTROLLER = "meshwork.io/gateway-controller";
    private static final Logger LOG = LoggerFactory.getLogger(RouteStatuses.class);

    private final KubernetesClient client;

    RouteStatuses(KubernetesClient client) {
        this.client = client;
    }

    /**
     * Brings the status of every HTTPRoute among {@code objects} with a Service parent up to date with this rebuild:
     * its {@code problems} (errors by document name) and the {@code snapshot} it gave (the routes accepted).
     */
    void update(Map<String, HasMetadata> objects, List<ConfigProblem> problems, MeshSnapshot snapshot) {
        Map<String, ConfigProblem> refused = refusals(problems);
        for (Map.Entry<String, HasMetadata> entry : objects.entrySet()) {
            if (entry.getValue() instanceof GenericKubernetesResource route
                    && ("HTTPRoute".equals(route.getKind()) || "GRPCRoute".equals(route.getKind()))) {
                List<Map<String, Object>> parents = ourParents(route, objects, snapshot);
                if (!parents.isEmpty()) {
                    ConfigProblem refusal = refused.get(entry.getKey());
                    write(route, parents, refusal == null ? null : refusal.withoutLocation(), snapshot);
                }
            }
        }
    }

    /** The first error of each refused object, by document name. */
    static Map<String, ConfigProblem> refusals(List<ConfigProblem> problems) {
        Map<String, ConfigProblem> refused = new HashMap<>();
        for (ConfigProblem problem : problems) {
            if (problem.severity() == ConfigProblem.Severity.ERROR) {
                refused.putIfAbsent(problem.file(), problem);
            }
        }
        return refused;
    }

    private void write(GenericKubernetesResource route, List<Map<String, Object>> parents, String refusal,
                       MeshSnapshot snapshot) {
        String namespace = route.getMetadata().getNamespace();
        ObjectRef ref = ObjectRef.of(namespace, route.getMetadata().getName());
        boolean grpc = "GRPCRoute".equals(route.getKind());
        Map<ObjectRef, HttpRoute> routes = grpc ? snapshot.grpcRoutes() : snapshot.httpRoutes();
        HttpRoute accepted = refusal == null ? routes.get(ref) : null;
        long generation = route.getMetadata().getGeneration() == null ? 0 : route.getMetadata().getGeneration();
        Map<String, Object> status = map(route.getAdditionalProperties().get("status"));
        List<Map<String, Object>> before = list(status.get("parents"));
        List<Map<String, Object>> after = new ArrayList<>();
        for (Map<String, Object> entry : before) {
            if (!CONTROLLER.equals(entry.get("controllerName"))) {
                after.add(entry); // another implementation's
            }
        }
        Condition resolved = accepted == null ? null : resolvedRefs(accepted, snapshot);
        for (Map<String, Object> parent : parents) {
            Condition acceptedCondition = refusal != null ? new Condition("Accepted", false, "UnsupportedValue",
                    refusal + (routes.containsKey(ref) ? "; the version accepted before is still applied" : ""))
                    : isGateway(parent) ? gatewayParent(parent, namespace, accepted, snapshot)
                    : parentMissing(parent, namespace, snapshot.services())
                            .map(why -> new Condition("Accepted", false, "NoMatchingParent", why))
                            .orElse(new Condition("Accepted", true, "Accepted", "routes calls to the Service"));
            List<Condition> conditions = resolved == null ? List.of(acceptedCondition) : List.of(acceptedCondition, resolved);
            Map<String, Object> old = before.stream().filter(e -> CONTROLLER.equals(e.get("controllerName"))
                    && comparable(map(e.get("parentRef"))).equals(comparable(parent))).findFirst().orElse(Map.of());
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("parentRef", parent);
            entry.put("controllerName", CONTROLLER);
            entry.put("conditions", conditions.stream().map(c -> c.toMap(generation, list(old.get("conditions")))).toList());
            after.add(entry);
        }
        if (sameIgnoringTimes(before, after)) {
            return;
        }
        // The status replaced (PUT) on a copy of the object as read, with its resourceVersion: no GET, and a route
        // changed meanwhile is refused (409) and written again by the rebuild its change brings.
        GenericKubernetesResource copy = client.getKubernetesSerialization().clone(route);
        Map<String, Object> edited = new LinkedHashMap<>(status);
        edited.put("parents", after);
        copy.getAdditionalProperties().put("status", edited);
        try {
            client.genericKubernetesResources((grpc ? KubernetesSource.GRPC_ROUTE : KubernetesSource.HTTP_ROUTE).context())
                    .inNamespace(namespace).resource(copy).updateStatus();
        } catch (KubernetesClientException e) {
            LOG.warn("cannot write the status of {} {}: {}", route.getKind(), ref, ApiErrors.reason(e));
        }
    }

    /** A condition as this control plane decides it; its time is kept from the last one of its type with its status. */
    record Condition(String type, boolean status, String reason, String message) {

        Map<String, Object> toMap(long generation, List<Map<String, Object>> old) {
            String statusText = status ? "True" : "False";
            String since = old.stream().filter(c -> type.equals(c.get("type")) && statusText.equals(c.get("status")))
                    .map(c -> String.valueOf(c.get("lastTransitionTime"))).findFirst().orElse(Instant.now().toString());
            Map<String, Object> condition = new LinkedHashMap<>();
            condition.put("type", type);
            condition.put("status", statusText);
            condition.put("reason", reason);
            condition.put("message", message);
            condition.put("observedGeneration", generation);
            condition.put("lastTransitionTime", since);
            return condition;
        }
    }

    /**
     * ResolvedRefs over every backendRef and mirror (a ReferenceGrant counted): the first that cannot be called makes it
     * False.
     */
    private static Condition resolvedRefs(HttpRoute route, MeshSnapshot snapshot) {
        Map<ObjectRef, MeshService> services = snapshot.services();
        for (int r = 0; r < route.rules().size(); r++) {
            HttpRoute.Rule rule = route.rules().get(r);
            List<HttpRoute.BackendRef> backends = new ArrayList<>(rule.backends());
            rule.filters().mirrors().stream().map(HttpRouteFilters.Mirror::backend).forEach(backends::add);
            for (HttpRoute.BackendRef backend : backends) {
                Optional<String> why = route.unresolved(backend, services, snapshot.gateways());
                if (why.isPresent()) {
                    MeshService service = services.get(backend.service());
                    boolean exists = service != null && service.port(backend.port()).isPresent();
                    return new Condition("ResolvedRefs", false, !backend.isService() ? "InvalidKind"
                            : exists ? "RefNotPermitted" : "BackendNotFound", "spec.rules[" + r + "]: " + why.get());
                }
            }
        }
        return new Condition("ResolvedRefs", true, "ResolvedRefs", "every backendRef is a Service port");
    }

    private static Optional<String> parentMissing(Map<String, Object> parent, String routeNamespace,
                                                  Map<ObjectRef, MeshService> services) {
        ObjectRef service = parentRef(parent, routeNamespace);
        MeshService found = services.get(service);
        if (found == null) {
            return Optional.of("Service " + service + " does not exist");
        }
        if (parent.get("port") instanceof Number port && found.port(port.intValue()).isEmpty()) {
            return Optional.of("Service " + service + " has no port " + port);
        }
        return Optional.empty();
    }

    /**
     * Accepted for a Gateway parent of Meshwork's class, as {@link GatewayAttachment} attaches routes: True when a
     * listener takes the route; else NoMatchingParent (no listener has that sectionName/port, or the Gateway is not
     * accepted), NotAllowedByListeners (their allowedRoutes leave out the route's namespace) or
     * NoMatchingListenerHostname (no host name intersects theirs).
     */
    private static Condition gatewayParent(Map<String, Object> parent, String routeNamespace, HttpRoute route,
                                           MeshSnapshot snapshot) {
        ObjectRef ref = parentRef(parent, routeNamespace);
        Gateway gateway = snapshot.gateways().gateways().get(ref);
        if (gateway == null || route == null) {
            return new Condition("Accepted", false, "NoMatchingParent", "Gateway " + ref + " is not accepted (see its "
                    + "status): it serves no route");
        }
        String section = parent.get("sectionName") instanceof String name && !name.isEmpty() ? name : null;
        Integer port = parent.get("port") instanceof Number number ? number.intValue() : null;
        List<Gateway.Listener> named = gateway.listeners().stream()
                .filter(l -> (section == null || section.equals(l.name())) && (port == null || port == l.port())).toList();
        if (named.isEmpty()) {
            return new Condition("Accepted", false, "NoMatchingParent", "Gateway " + ref + " has no listener"
                    + (section == null ? "" : " named \"" + section + "\"") + (port == null ? "" : " on port " + port));
        }
        List<Gateway.Listener> allowed = named.stream().filter(l -> l.allowedRoutes().allows(routeNamespace, gateway.ref())
                && l.allowedRoutes().allowsKind(route.kind())).toList();
        if (allowed.isEmpty()) {
            return new Condition("Accepted", false, "NotAllowedByListeners", "the allowedRoutes of listener"
                    + (named.size() == 1 ? " " : "s ") + names(named) + " of Gateway " + ref
                    + " leave out " + route.kind() + "s of namespace " + routeNamespace);
        }
        List<Gateway.Listener> taking = allowed.stream()
                .filter(l -> !GatewayAttachment.hostnames(l.hostname(), route.hostnames()).isEmpty()).toList();
        if (taking.isEmpty()) {
            return new Condition("Accepted", false, "NoMatchingListenerHostname", "no hostname of the route "
                    + route.hostnames() + " matches listener" + (allowed.size() == 1 ? " " : "s ") + names(allowed)
                    + " of Gateway " + ref + " (" + allowed.stream().map(l -> l.hostname() == null ? "any host"
                    : l.hostname()).distinct().collect(java.util.stream.Collectors.joining(", ")) + ")");
        }
        List<HttpRoute> all = GatewayStatuses.routes(snapshot);
        List<Gateway.Listener> attached = taking.stream().filter(l -> GatewayAttachment.routes(gateway, l, all).stream()
                .anyMatch(a -> a.route().equals(route))).toList();
        if (attached.isEmpty()) {
            GatewayAttachment.Conflict conflict = taking.stream().flatMap(l -> GatewayAttachment.conflicts(gateway, l, all)
                    .stream()).filter(c -> c.loser().equals(route)).findFirst().orElseThrow();
            return new Condition("Accepted", false, "Conflicted", "host name " + conflict.hostname() + " of Gateway " + ref
                    + " is " + conflict.winner().kind() + " " + conflict.winner().ref() + "'s, the older route");
        }
        return new Condition("Accepted", true, "Accepted", "attached to listener" + (attached.size() == 1 ? " " : "s ")
                + names(attached) + " of Gateway " + ref);
    }

    private static String names(List<Gateway.Listener> listeners) {
        return listeners.stream().map(l -> "\"" + l.name() + "\"").collect(java.util.stream.Collectors.joining(", "));
    }

    private static ObjectRef parentRef(Map<String, Object> parent, String routeNamespace) {
        return ObjectRef.of(parent.get("namespace") instanceof String ns && !ns.isEmpty() ? ns : routeNamespace,
                String.valueOf(parent.get("name")));
    }

    /** A parentRef naming a Gateway ({@code group} and {@code kind} default to the Gateway's). */
    static boolean isGateway(Map<String, Object> parent) {
        Object group = parent.get("group");
        Object kind = parent.get("kind");
        return (group == null || Gateways.GROUP.equals(group)) && (kind == null || "Gateway".equals(kind));
    }

    /**
     * The route's parentRefs whose status is Meshwork's to write, as written (the status echoes each): Services (GAMMA)
     * and Gateways of Meshwork's class, accepted or not; a Gateway of another class, or none, is left to others.
     */
    private static List<Map<String, Object>> ourParents(GenericKubernetesResource route, Map<String, HasMetadata> objects,
                                                        MeshSnapshot snapshot) {
        List<Map<String, Object>> parents = new ArrayList<>();
        String namespace = route.getMetadata().getNamespace();
        for (Map<String, Object> parent : list(map(route.getAdditionalProperties().get("spec")).get("parentRefs"))) {
            Object group = parent.get("group");
            if ("Service".equals(parent.get("kind")) && (group == null || "".equals(group) || "core".equals(group))) {
                parents.add(parent);
            } else if (isGateway(parent) && parent.get("name") instanceof String
                    && GatewayStatuses.ours(objects.get("Gateway " + parentRef(parent, namespace)), snapshot)) {
                parents.add(parent);
            }
        }
        return parents;
    }

    private static boolean sameIgnoringTimes(List<Map<String, Object>> before, List<Map<String, Object>> after) {
        return comparable(before).equals(comparable(after));
    }

    /**
     * A status as compared for a write: without {@code lastTransitionTime}s, numbers as longs and empty lists left out
     * (what was read back as JSON compares equal to what was computed).
     */
    static Object comparable(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (!"lastTransitionTime".equals(k) && !(v instanceof List<?> l && l.isEmpty())) {
                    out.put(k, comparable(v));
                }
            });
            return out;
        }
        if (value instanceof List<?> items) {
            return items.stream().map(RouteStatuses::comparable).toList();
        }
        return value instanceof Number n ? n.longValue() : value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object value) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (value instanceof List<?> items) {
            for (Object item : items) {
                if (item instanceof Map<?, ?> m) {
                    out.add((Map<String, Object>) m);
                }
            }
        }
        return out;
    }
}
