package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.Map;
import java.util.Optional;

/**
 * Checks what a TrafficSplit points at: its root service and every backend are Services in its
 * namespace, every backend exposes each port number of the root service, and every match names an
 * HTTPRouteGroup in its namespace. A failure rejects the split, never the objects it points at.
 */
final class TrafficSplitReferences {

    /** The first broken reference: the field holding it and what is wrong. */
    record Broken(String field, String message) {
    }

    private final Map<ObjectRef, MeshService> services;
    private final Map<ObjectRef, HttpRouteGroup> routeGroups;

    TrafficSplitReferences(Map<ObjectRef, MeshService> services, Map<ObjectRef, HttpRouteGroup> routeGroups) {
        this.services = services;
        this.routeGroups = routeGroups;
    }

    Optional<Broken> check(TrafficSplit split) {
        String namespace = split.ref().namespace();
        MeshService root = services.get(split.rootService());
        if (root == null) {
            return broken("spec.service", notA("Service", split.service(), namespace));
        }
        for (int i = 0; i < split.backends().size(); i++) {
            String name = split.backends().get(i).service();
            String field = "spec.backends[" + i + "].service";
            MeshService backend = services.get(ObjectRef.of(namespace, name));
            if (backend == null) {
                return broken(field, notA("Service", name, namespace));
            }
            for (ServicePort port : root.ports()) {
                if (backend.port(port.port()).isEmpty()) {
                    return broken(field, "Service " + name + " has no port " + port.port()
                            + ", which the root service " + root.ref().name() + " exposes");
                }
            }
        }
        for (int i = 0; i < split.matches().size(); i++) {
            String name = split.matches().get(i).name();
            if (!routeGroups.containsKey(ObjectRef.of(namespace, name))) {
                return broken("spec.matches[" + i + "].name", notA(TrafficSplitParser.ROUTE_GROUP_KIND, name, namespace));
            }
        }
        return Optional.empty();
    }

    private static String notA(String kind, String name, String namespace) {
        return "\"" + name + "\" is not a" + (kind.startsWith("H") ? "n " : " ") + kind + " in namespace " + namespace;
    }

    private static Optional<Broken> broken(String field, String message) {
        return Optional.of(new Broken(field, message));
    }
}
