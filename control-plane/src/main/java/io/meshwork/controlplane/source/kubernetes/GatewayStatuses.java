package io.meshwork.controlplane.source.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.RouteStatuses.list;
import static io.meshwork.controlplane.source.kubernetes.RouteStatuses.map;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.GatewayAttachment;
import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.kubernetes.RouteStatuses.Condition;
import io.meshwork.controlplane.source.local.ConfigProblem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Gateway API status of GatewayClasses whose controllerName is {@value Gateways#CONTROLLER} ({@code Accepted}) and
 * of the Gateways of such a class, as the spec (v1, standard channel) gives it: {@code Accepted} (True
 * {@code Accepted}, or {@code ListenersNotValid} when a listener cannot be served; False {@code ListenersNotValid},
 * {@code UnsupportedAddress}, {@code InvalidParameters} or {@code UnsupportedValue} with the line the control plane
 * logs), {@code Programmed} (True once a {@code mesh gateway} of the Gateway ACKed its config; False {@code Pending}
 * while none has, {@code Invalid} when the config is refused) and, per listener, {@code supportedKinds},
 * {@code attachedRoutes} (as {@link GatewayAttachment} decides) and {@code Accepted}, {@code ResolvedRefs},
 * {@code Conflicted}, {@code Programmed}. Each condition keeps its {@code lastTransitionTime} while its status stays; a
 * status is written only when it changed. Certificate conditions come from {@link Gateways#certificateProblem}.
 */
final class GatewayStatuses {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayStatuses.class);

    private final KubernetesClient client;
    private volatile Function<ObjectRef, KubernetesSource.GatewayProgramming> programming =
            gateway -> new KubernetesSource.GatewayProgramming(0, 0, null);

    GatewayStatuses(KubernetesClient client) {
        this.client = client;
    }

    void programming(Function<ObjectRef, KubernetesSource.GatewayProgramming> programming) {
        this.programming = programming;
    }

    /** Whether {@code object} is a Gateway whose class is Meshwork's: its status, and its routes', are ours to write. */
    static boolean ours(HasMetadata object, MeshSnapshot snapshot) {
        if (!(object instanceof GenericKubernetesResource gateway) || !"Gateway".equals(gateway.getKind())) {
            return false;
        }
        Gateways.GatewayClass gatewayClass = snapshot.gateways().classes()
                .get(String.valueOf(map(gateway.getAdditionalProperties().get("spec")).get("gatewayClassName")));
        return gatewayClass != null && Gateways.CONTROLLER.equals(gatewayClass.controllerName());
    }

    /** Brings the status of Meshwork's GatewayClasses and Gateways among {@code objects} up to date with a rebuild. */
    void update(Map<String, HasMetadata> objects, List<ConfigProblem> problems, MeshSnapshot snapshot) {
        Map<String, ConfigProblem> refused = RouteStatuses.refusals(problems);
        for (Map.Entry<String, HasMetadata> entry : objects.entrySet()) {
            if (!(entry.getValue() instanceof GenericKubernetesResource object)) {
                continue;
            }
            if ("GatewayClass".equals(object.getKind())
                    && Gateways.CONTROLLER.equals(map(object.getAdditionalProperties().get("spec")).get("controllerName"))) {
                List<Condition> accepted = List.of(new Condition("Accepted", true, "Accepted",
                        "Meshwork's gateway controller serves the Gateways of this class"));
                write(object, conditionsOnly(object, accepted), KubernetesSource.GATEWAY_CLASS);
            } else if (ours(object, snapshot)) {
                write(object, gatewayStatus(object, refused.get(entry.getKey()), snapshot), KubernetesSource.GATEWAY);
            }
        }
    }

    private static Map<String, Object> conditionsOnly(GenericKubernetesResource object, List<Condition> conditions) {
        Map<String, Object> status = new LinkedHashMap<>(map(object.getAdditionalProperties().get("status")));
        status.put("conditions", merged(conditions, generation(object), list(status.get("conditions"))));
        return status;
    }

    private Map<String, Object> gatewayStatus(GenericKubernetesResource object, ConfigProblem refusal,
                                              MeshSnapshot snapshot) {
        ObjectRef ref = ObjectRef.of(object.getMetadata().getNamespace(), object.getMetadata().getName());
        Gateways gateways = snapshot.gateways();
        Gateway gateway = refusal == null ? gateways.gateways().get(ref) : null;
        Map<String, Object> spec = map(object.getAdditionalProperties().get("spec"));
        Map<String, Object> before = map(object.getAdditionalProperties().get("status"));
        long generation = generation(object);
        List<ListenerState> listeners = listeners(ref, list(spec.get("listeners")), gateway, snapshot);
        Condition accepted = accepted(refusal, listeners);
        Condition programmed = programmed(ref, gateway);
        Map<String, Object> status = new LinkedHashMap<>(before);
        status.put("conditions", merged(List.of(accepted, programmed), generation, list(before.get("conditions"))));
        List<Map<String, Object>> oldListeners = list(before.get("listeners"));
        List<Map<String, Object>> listenerStatus = new ArrayList<>();
        for (ListenerState listener : listeners) {
            List<Map<String, Object>> old = oldListeners.stream().filter(l -> listener.name.equals(l.get("name")))
                    .findFirst().map(l -> list(l.get("conditions"))).orElse(List.of());
            boolean live = listener.problem == null && gateway != null && programmed.status();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", listener.name);
            entry.put("supportedKinds", listener.supportedKinds);
            entry.put("attachedRoutes", (long) listener.attachedRoutes);
            entry.put("conditions", merged(List.of(
                    listener.accepted,
                    listener.resolvedRefs,
                    listener.conflicted,
                    listener.problem != null || gateway == null
                            ? new Condition("Programmed", false, "Invalid", listener.problem != null ? listener.problem
                                    : "the Gateway is not accepted")
                            : live ? new Condition("Programmed", true, "Programmed", "served by the gateway")
                            : new Condition("Programmed", false, "Pending", programmed.message())),
                    generation, old));
            listenerStatus.add(entry);
        }
        status.put("listeners", listenerStatus);
        return status;
    }

    private static Condition accepted(ConfigProblem refusal, List<ListenerState> listeners) {
        if (refusal != null) {
            String field = refusal.field() == null ? "" : refusal.field();
            String reason = field.startsWith("spec.listeners") ? "ListenersNotValid"
                    : field.startsWith("spec.addresses") ? "UnsupportedAddress"
                    : field.startsWith("spec.infrastructure") ? "InvalidParameters" : "UnsupportedValue";
            return new Condition("Accepted", false, reason, refusal.withoutLocation());
        }
        List<String> invalid = listeners.stream().filter(l -> l.problem != null).map(l -> "\"" + l.name + "\"").toList();
        return invalid.isEmpty() ? new Condition("Accepted", true, "Accepted", "every listener is served")
                : new Condition("Accepted", true, "ListenersNotValid", "listener" + (invalid.size() == 1 ? " " : "s ")
                        + String.join(", ", invalid) + " cannot be served (see its conditions); the others are");
    }

    private Condition programmed(ObjectRef ref, Gateway gateway) {
        if (gateway == null) {
            return new Condition("Programmed", false, "Invalid", "the Gateway is not accepted: nothing is served");
        }
        String group = "gateway/" + ref.namespace() + "/" + ref.name();
        KubernetesSource.GatewayProgramming state = programming.apply(ref);
        if (state.refused() != null) {
            return new Condition("Programmed", false, "Invalid", state.refused());
        }
        if (state.acked() > 0) {
            return new Condition("Programmed", true, "Programmed", "a mesh gateway of node group " + group
                    + " serves the current config");
        }
        return new Condition("Programmed", false, "Pending", state.connected() == 0
                ? "no mesh gateway of node group " + group + " is connected to the control plane"
                : "no mesh gateway of node group " + group + " has acknowledged the current config yet");
    }

    /** One listener as written, and what its conditions say. */
    private record ListenerState(String name, List<Map<String, Object>> supportedKinds, int attachedRoutes,
                                 Condition accepted, Condition resolvedRefs, Condition conflicted, String problem) {
    }

    /**
     * Each listener of the Gateway as written, judged on its own (the parser refuses the whole Gateway at its first bad
     * listener; the status names each): protocol, TLS mode, conflicts with the listeners before it, certificates and
     * route kinds.
     */
    private static List<ListenerState> listeners(ObjectRef ref, List<Map<String, Object>> written, Gateway gateway,
                                                 MeshSnapshot snapshot) {
        List<ListenerState> states = new ArrayList<>();
        Map<Object, String> protocolByPort = new HashMap<>();
        Map<String, String> listenerByPortHost = new HashMap<>();
        Gateway forCertificates = gateway != null ? gateway : new Gateway(ref, "", List.of());
        for (Map<String, Object> item : written) {
            String name = String.valueOf(item.get("name"));
            String protocol = String.valueOf(item.get("protocol"));
            Object port = item.get("port") instanceof Number n ? n.longValue() : item.get("port");
            Map<String, Object> tls = map(item.get("tls"));
            boolean served = protocol.equals("HTTP") || protocol.equals("HTTPS");
            Condition accepted = !served
                    ? new Condition("Accepted", false, "UnsupportedProtocol", "protocol \"" + protocol + "\" is not one "
                            + "Meshwork's gateway serves (HTTP, HTTPS)")
                    : protocol.equals("HTTPS") && !"Terminate".equals(tls.getOrDefault("mode", "Terminate"))
                    ? new Condition("Accepted", false, "UnsupportedValue", "tls.mode \"" + tls.get("mode")
                            + "\" is not supported (Terminate)")
                    : new Condition("Accepted", true, "Accepted", "listener is valid");
            String otherProtocol = protocolByPort.putIfAbsent(port, protocol);
            String hostKey = port + "/" + Optional.ofNullable(item.get("hostname")).orElse("");
            String sameHost = listenerByPortHost.putIfAbsent(hostKey, name);
            Condition conflicted = otherProtocol != null && !otherProtocol.equals(protocol)
                    ? new Condition("Conflicted", true, "ProtocolConflict", "port " + port + " is also another "
                            + "listener's with protocol " + otherProtocol)
                    : sameHost != null
                    ? new Condition("Conflicted", true, "HostnameConflict", "listener \"" + sameHost + "\" has the same "
                            + "port " + port + " and hostname")
                    : new Condition("Conflicted", false, "NoConflicts", "no conflict with another listener");
            List<Map<String, Object>> kindsWritten = list(map(item.get("allowedRoutes")).get("kinds"));
            List<String> named = kindsWritten.isEmpty() ? Gateway.AllowedRoutes.ROUTE_KINDS : kindsWritten.stream()
                    .filter(k -> Gateways.GROUP.equals(k.getOrDefault("group", Gateways.GROUP)))
                    .map(k -> String.valueOf(k.get("kind"))).filter(Gateway.AllowedRoutes.ROUTE_KINDS::contains).toList();
            List<Map<String, Object>> kinds = !served ? List.of() : named.stream()
                    .map(kind -> Map.<String, Object>of("group", Gateways.GROUP, "kind", kind)).toList();
            Condition resolved = resolvedRefs(tls, protocol, forCertificates, snapshot.gateways());
            if (resolved.status() && named.size() < kindsWritten.size()) {
                resolved = new Condition("ResolvedRefs", false, "InvalidRouteKinds", "allowedRoutes.kinds "
                        + kindsWritten.stream().map(k -> String.valueOf(k.get("kind"))).filter(k -> !named.contains(k)).toList()
                        + ": Meshwork's gateway serves " + String.join(" and ", Gateway.AllowedRoutes.ROUTE_KINDS));
            }
            String problem = !accepted.status() ? accepted.message() : conflicted.status() ? conflicted.message()
                    : !resolved.status() ? resolved.message() : null;
            Optional<Gateway.Listener> model = gateway == null ? Optional.empty()
                    : gateway.listeners().stream().filter(l -> l.name().equals(name)).findFirst();
            int attached = model.map(l -> GatewayAttachment.routes(gateway, l, routes(snapshot)).size())
                    .orElse(0);
            states.add(new ListenerState(name, kinds, attached, accepted, resolved, conflicted, problem));
        }
        return states;
    }

    /** Every route a gateway may serve: HTTPRoutes and GRPCRoutes. */
    static List<io.meshwork.controlplane.model.HttpRoute> routes(MeshSnapshot snapshot) {
        List<io.meshwork.controlplane.model.HttpRoute> routes = new ArrayList<>(snapshot.httpRoutes().values());
        routes.addAll(snapshot.grpcRoutes().values());
        return routes;
    }

    private static Condition resolvedRefs(Map<String, Object> tls, String protocol,
                                          Gateway gateway, Gateways gateways) {
        if (!protocol.equals("HTTPS")) {
            return new Condition("ResolvedRefs", true, "ResolvedRefs", "no reference to resolve");
        }
        List<Map<String, Object>> refs = list(tls.get("certificateRefs"));
        if (refs.isEmpty()) {
            return new Condition("ResolvedRefs", false, "InvalidCertificateRef", "an HTTPS listener needs a "
                    + "certificateRef to terminate TLS");
        }
        for (Map<String, Object> ref : refs) {
            String group = String.valueOf(ref.getOrDefault("group", ""));
            String kind = String.valueOf(ref.getOrDefault("kind", "Secret"));
            if (!(group.isEmpty() || group.equals("core")) || !kind.equals("Secret")) {
                return new Condition("ResolvedRefs", false, "InvalidCertificateRef", "certificateRef \""
                        + (group.isEmpty() ? "" : group + "/") + kind + "\" " + ref.get("name")
                        + " is not a Secret");
            }
            Object namespace = ref.get("namespace");
            ObjectRef secret = ObjectRef.of(namespace instanceof String ns && !ns.isEmpty() ? ns
                    : gateway.ref().namespace(), String.valueOf(ref.get("name")));
            Optional<String> problem = gateways.certificateProblem(gateway, secret);
            if (problem.isPresent()) {
                return new Condition("ResolvedRefs", false, gateways.permits("Gateway", gateway.ref().namespace(),
                        "Secret", secret) ? "InvalidCertificateRef" : "RefNotPermitted", problem.get());
            }
        }
        return new Condition("ResolvedRefs", true, "ResolvedRefs", "every certificateRef is a TLS Secret");
    }

    private static List<Map<String, Object>> merged(List<Condition> conditions, long generation,
                                                    List<Map<String, Object>> old) {
        return conditions.stream().map(c -> c.toMap(generation, old)).toList();
    }

    private static long generation(HasMetadata object) {
        return object.getMetadata().getGeneration() == null ? 0 : object.getMetadata().getGeneration();
    }

    /** Replaces the status (PUT, with the resourceVersion read) when it differs from the one read, times aside. */
    private void write(GenericKubernetesResource object, Map<String, Object> status, KubernetesSource.CustomKind kind) {
        Map<String, Object> before = map(object.getAdditionalProperties().get("status"));
        if (RouteStatuses.comparable(before).equals(RouteStatuses.comparable(status))) {
            return;
        }
        GenericKubernetesResource copy = client.getKubernetesSerialization().clone(object);
        copy.getAdditionalProperties().put("status", status);
        try {
            if (object.getMetadata().getNamespace() == null) { // a GatewayClass: its path has no namespace
                client.genericKubernetesResources(new ResourceDefinitionContext.Builder().withGroup(kind.group())
                        .withVersion(kind.version()).withKind(kind.kind()).withPlural(kind.plural())
                        .withNamespaced(false).build()).resource(copy).updateStatus();
            } else {
                client.genericKubernetesResources(kind.context()).inNamespace(object.getMetadata().getNamespace())
                        .resource(copy).updateStatus();
            }
        } catch (KubernetesClientException e) {
            LOG.warn("cannot write the status of {} {}: {}", object.getKind(), object.getMetadata().getName(),
                    ApiErrors.reason(e));
        }
    }
}
