package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.GatewayAttachment;
import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Warnings about accepted Gateways and the HTTPRoutes and GRPCRoutes naming them whose references do not all hold: a
 * class that is no GatewayClass; a certificate Secret that is missing or in another namespace without a ReferenceGrant
 * (that listener is not served; the others are); a route whose Gateway parent does not exist, or none of whose
 * listeners takes it; a route that loses a listener's host name to an older route of the other kind. A Gateway of
 * another implementation's class is none of Meshwork's business and draws nothing.
 */
final class GatewayWarnings {

    private GatewayWarnings() {
    }

    static List<ConfigProblem> of(Collection<ConfigObject> accepted, MeshSnapshot snapshot) {
        Gateways gateways = snapshot.gateways();
        List<HttpRoute> routes = new ArrayList<>(snapshot.httpRoutes().values());
        routes.addAll(snapshot.grpcRoutes().values());
        if (gateways.gateways().isEmpty() && routes.stream()
                .noneMatch(r -> r.parents().stream().anyMatch(HttpRoute.ParentRef::isGateway))) {
            return List.of();
        }
        Map<HttpRoute, List<String>> conflicts = new HashMap<>();
        for (Gateway gateway : gateways.gateways().values()) {
            if (gateways.ours(gateway)) {
                for (Gateway.Listener listener : gateway.listeners()) {
                    GatewayAttachment.conflicts(gateway, listener, routes).forEach(c -> conflicts.computeIfAbsent(c.loser(),
                            r -> new ArrayList<>()).add(c.winner().kind() + " " + c.winner().ref() + " holds host name \""
                            + c.hostname() + "\" on listener \"" + listener.name() + "\" of Gateway " + gateway.ref()
                            + " (the older route keeps it): this route is not served there (Conflicted)"));
                }
            }
        }
        List<ConfigProblem> warnings = new ArrayList<>();
        for (ConfigObject object : accepted) {
            if (object.value() instanceof Gateway gateway) {
                gateway(object, gateway, gateways, warnings);
            } else if (object.value() instanceof HttpRoute route) {
                parents(object, route, snapshot, warnings);
                conflicts.getOrDefault(route, List.of()).forEach(message ->
                        warnings.add(warning(object, "spec.hostnames", message)));
            }
        }
        return warnings;
    }

    private static void gateway(ConfigObject object, Gateway gateway, Gateways gateways, List<ConfigProblem> warnings) {
        if (!gateways.classes().containsKey(gateway.className())) {
            warnings.add(warning(object, "spec.gatewayClassName", "\"" + gateway.className() + "\" is no GatewayClass: "
                    + "nothing serves this Gateway (Meshwork's class has controllerName " + Gateways.CONTROLLER + ")"));
            return;
        }
        if (!gateways.ours(gateway)) {
            return;
        }
        for (int l = 0; l < gateway.listeners().size(); l++) {
            Gateway.Listener listener = gateway.listeners().get(l);
            for (int c = 0; c < listener.certificates().size(); c++) {
                String field = "spec.listeners[" + l + "].tls.certificateRefs[" + c + "]";
                gateways.certificateProblem(gateway, listener.certificates().get(c)).ifPresent(problem ->
                        warnings.add(warning(object, field, problem + ": listener \"" + listener.name()
                                + "\" is not served")));
            }
        }
    }

    private static void parents(ConfigObject object, HttpRoute route, MeshSnapshot snapshot,
                                List<ConfigProblem> warnings) {
        for (int i = 0; i < route.parents().size(); i++) {
            HttpRoute.ParentRef parent = route.parents().get(i);
            if (!parent.isGateway()) {
                continue;
            }
            String field = "spec.parentRefs[" + i + "]";
            Gateway gateway = snapshot.gateways().gateways().get(parent.ref());
            if (gateway == null) {
                warnings.add(warning(object, field + ".name", "\"" + parent.ref().name() + "\" is not a Gateway in "
                        + "namespace " + parent.ref().namespace() + ": this parentRef attaches the route to nothing"));
                continue;
            }
            if (!snapshot.gateways().ours(gateway)) {
                continue;
            }
            HttpRoute single = new HttpRoute(route.ref(), route.created(), List.of(parent), route.rules(),
                    route.hostnames());
            Optional<Gateway.Listener> taking = gateway.listeners().stream()
                    .filter(l -> !GatewayAttachment.routes(gateway, l, List.of(single)).isEmpty()).findFirst();
            if (taking.isEmpty()) {
                warnings.add(warning(object, field, "no listener of Gateway " + gateway.ref() + " takes this route (its "
                        + "sectionName or port names none, allowedRoutes leave out namespace " + route.ref().namespace()
                        + ", or no hostname intersects the listener's): it is not served there"));
            }
        }
    }

    private static ConfigProblem warning(ConfigObject object, String field, String message) {
        return ConfigProblem.warning(object.locationOf(field), object.kind().kindName(), object.ref(), field, message);
    }
}
