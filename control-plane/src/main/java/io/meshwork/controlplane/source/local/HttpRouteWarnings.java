package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteFilters;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Warnings about accepted HTTPRoutes whose references do not all hold, and the TrafficSplits they override. A parent
 * that is no Service (a Gateway), or a Service or port that does not exist, attaches the route to nothing there (the
 * Service may come later); a backend that cannot be called has its share answered 500, as the Gateway API says; a
 * TrafficSplit whose root Service port an HTTPRoute (or GRPCRoute) routes is overridden there, and so is a GRPCRoute
 * on a port HTTPRoutes route. GRPCRoutes are read as HTTPRoutes ({@link GrpcRouteParser}). {@code mesh analyze} shows
 * them all.
 */
final class HttpRouteWarnings {

    private HttpRouteWarnings() {
    }

    static List<ConfigProblem> of(Collection<ConfigObject> accepted, MeshSnapshot snapshot) {
        if (snapshot.httpRoutes().isEmpty() && snapshot.grpcRoutes().isEmpty()) {
            return List.of();
        }
        List<ConfigProblem> warnings = new ArrayList<>();
        for (ConfigObject object : accepted) {
            if (object.value() instanceof HttpRoute route) {
                parents(object, route, snapshot, warnings);
                backends(object, route, snapshot, warnings);
                if (route.kind().equals("GRPCRoute")) {
                    overridden(object, route, snapshot, warnings);
                }
            } else if (object.value() instanceof TrafficSplit split) {
                overridden(object, split, snapshot, warnings);
            }
        }
        return warnings;
    }

    private static void parents(ConfigObject object, HttpRoute route, MeshSnapshot snapshot, List<ConfigProblem> warnings) {
        for (int i = 0; i < route.parents().size(); i++) {
            HttpRoute.ParentRef parent = route.parents().get(i);
            String field = "spec.parentRefs[" + i + "]";
            if (parent.isGateway()) {
                continue; // GatewayWarnings
            }
            if (!parent.isService()) {
                warnings.add(warning(object, field + ".kind", "\"" + parent.kind() + "\" parents are not served by "
                        + "Meshwork; a Service parent (GAMMA) or a Gateway attaches this route"));
                continue;
            }
            MeshService service = snapshot.services().get(parent.ref());
            if (service == null) {
                warnings.add(warning(object, field + ".name", "\"" + parent.ref().name() + "\" is not a Service in "
                        + "namespace " + parent.ref().namespace() + ": this parentRef attaches the route to nothing"));
            } else if (parent.port() != null && service.port(parent.port()).filter(p -> p.protocol().isHttp()).isEmpty()) {
                warnings.add(warning(object, field + ".port", "Service " + service.ref().name() + " has no HTTP port "
                        + parent.port() + ": this parentRef attaches the route to nothing"));
            }
        }
    }

    private static void backends(ConfigObject object, HttpRoute route, MeshSnapshot snapshot, List<ConfigProblem> warnings) {
        for (int r = 0; r < route.rules().size(); r++) {
            List<HttpRoute.BackendRef> backends = route.rules().get(r).backends();
            for (int b = 0; b < backends.size(); b++) {
                HttpRoute.BackendRef backend = backends.get(b);
                String field = "spec.rules[" + r + "].backendRefs[" + b + "]";
                route.unresolved(backend, snapshot.services(), snapshot.gateways()).ifPresent(reason -> warnings.add(warning(object,
                        field + (!backend.isService() ? ".kind" : reason.startsWith("Service") ? ".port" : ".name"),
                        reason + ": requests for this "
                                + "backend's share (weight " + backend.weight() + ") are answered 500")));
            }
            String filters = "spec.rules[" + r + "].filters";
            for (HttpRouteFilters.Mirror mirror : route.rules().get(r).filters().mirrors()) {
                route.unresolved(mirror.backend(), snapshot.services(), snapshot.gateways()).ifPresent(reason -> warnings.add(
                        warning(object, filters, "RequestMirror: " + reason + ": this mirror copies nothing")));
            }
        }
    }

    private static void overridden(ConfigObject object, TrafficSplit split, MeshSnapshot snapshot,
                                   List<ConfigProblem> warnings) {
        MeshService root = snapshot.services().get(split.rootService());
        if (root == null) {
            return;
        }
        TreeSet<String> routes = new TreeSet<>();
        TreeSet<Integer> ports = new TreeSet<>();
        for (ServicePort port : root.ports()) {
            List<HttpRoute> routing = port.protocol().isHttp() ? snapshot.producerRoutesFor(root.ref(), port.port()) : List.of();
            routing.forEach(r -> routes.add(r.kind() + " " + r.ref()));
            if (!routing.isEmpty()) {
                ports.add(port.port());
            }
        }
        if (!routes.isEmpty()) {
            warnings.add(warning(object, "spec.service", "overridden by " + String.join(", ", routes) + " on port"
                    + (ports.size() > 1 ? "s " : " ") + ports.toString().replaceAll("[\\[\\]]", "") + " of Service "
                    + root.ref() + ": the " + routes.first().split(" ")[0] + " routes those calls, this split does not"));
        }
    }

    /** A GRPCRoute on a Service port that HTTPRoutes route too: they win there, as over a TrafficSplit. */
    private static void overridden(ConfigObject object, HttpRoute route, MeshSnapshot snapshot, List<ConfigProblem> warnings) {
        for (int i = 0; i < route.parents().size(); i++) {
            HttpRoute.ParentRef parent = route.parents().get(i);
            MeshService service = snapshot.services().get(parent.ref());
            if (service == null) {
                continue;
            }
            for (ServicePort port : service.ports()) {
                if (parent.covers(service.ref(), port.port())
                        && snapshot.grpcRoutesOverriddenOn(service.ref(), port.port(), route.ref().namespace()).contains(route)) {
                    warnings.add(warning(object, "spec.parentRefs[" + i + "]", "overridden on port " + port.port()
                            + " of Service " + service.ref() + " by the HTTPRoutes there: they route those calls, this "
                            + "GRPCRoute does not"));
                }
            }
        }
    }

    private static ConfigProblem warning(ConfigObject object, String field, String message) {
        return ConfigProblem.warning(object.locationOf(field), object.kind().kindName(), object.ref(), field, message);
    }
}
