package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
 * kept. A status is written only when a condition changed (a condition keeps its {@code lastTransitionTime} while its
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
        Map<String, String> refused = new HashMap<>();
        for (ConfigProblem problem : problems) {
            if (problem.severity() == ConfigProblem.Severity.ERROR) {
                refused.putIfAbsent(problem.file(), problem.withoutLocation());
            }
        }
        for (Map.Entry<String, HasMetadata> entry : objects.entrySet()) {
            if (entry.getValue() instanceof GenericKubernetesResource route
                    && ("HTTPRoute".equals(route.getKind()) || "GRPCRoute".equals(route.getKind()))) {
                List<Map<String, Object>> parents = serviceParents(route);
                if (!parents.isEmpty()) {
                    write(route, parents, refused.get(entry.getKey()), snapshot);
                }
            }
        }
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
                    : parentMissing(parent, namespace, snapshot.services())
                            .map(why -> new Condition("Accepted", false, "NoMatchingParent", why))
                            .orElse(new Condition("Accepted", true, "Accepted", "routes calls to the Service"));
            List<Condition> conditions = resolved == null ? List.of(acceptedCondition) : List.of(acceptedCondition, resolved);
            Map<String, Object> old = before.stream().filter(e -> CONTROLLER.equals(e.get("controllerName"))
                    && normalized(map(e.get("parentRef"))).equals(normalized(parent))).findFirst().orElse(Map.of());
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
    private record Condition(String type, boolean status, String reason, String message) {

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
                    return new Condition("ResolvedRefs", false, exists ? "RefNotPermitted" : "BackendNotFound",
                            "spec.rules[" + r + "]: " + why.get());
                }
            }
        }
        return new Condition("ResolvedRefs", true, "ResolvedRefs", "every backendRef is a Service port");
    }

    private static Optional<String> parentMissing(Map<String, Object> parent, String routeNamespace,
                                                  Map<ObjectRef, MeshService> services) {
        ObjectRef service = ObjectRef.of(parent.get("namespace") instanceof String ns && !ns.isEmpty() ? ns : routeNamespace,
                String.valueOf(parent.get("name")));
        MeshService found = services.get(service);
        if (found == null) {
            return Optional.of("Service " + service + " does not exist");
        }
        if (parent.get("port") instanceof Number port && found.port(port.intValue()).isEmpty()) {
            return Optional.of("Service " + service + " has no port " + port);
        }
        return Optional.empty();
    }

    /** The route's parentRefs that are Services (GAMMA), as written: the status echoes each. */
    private static List<Map<String, Object>> serviceParents(GenericKubernetesResource route) {
        List<Map<String, Object>> parents = new ArrayList<>();
        for (Map<String, Object> parent : list(map(route.getAdditionalProperties().get("spec")).get("parentRefs"))) {
            Object group = parent.get("group");
            if ("Service".equals(parent.get("kind")) && (group == null || "".equals(group) || "core".equals(group))) {
                parents.add(parent);
            }
        }
        return parents;
    }

    private static boolean sameIgnoringTimes(List<Map<String, Object>> before, List<Map<String, Object>> after) {
        return withoutTimes(before).equals(withoutTimes(after));
    }

    private static List<Object> withoutTimes(List<Map<String, Object>> entries) {
        List<Object> out = new ArrayList<>();
        for (Map<String, Object> entry : entries) {
            Map<String, Object> copy = new LinkedHashMap<>(entry);
            List<Object> conditions = new ArrayList<>();
            for (Map<String, Object> condition : list(entry.get("conditions"))) {
                Map<String, Object> c = new LinkedHashMap<>(condition);
                c.remove("lastTransitionTime");
                c.computeIfPresent("observedGeneration", (k, v) -> v instanceof Number n ? n.longValue() : v);
                conditions.add(c);
            }
            copy.put("conditions", conditions);
            copy.computeIfPresent("parentRef", (k, v) -> normalized(map(v)));
            out.add(copy);
        }
        return out;
    }

    /** Numbers as longs: what was read back as JSON compares equal to what was computed. */
    private static Map<String, Object> normalized(Map<String, Object> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, v instanceof Number n ? n.longValue() : v));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
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
