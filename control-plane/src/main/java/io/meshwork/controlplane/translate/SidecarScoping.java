package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.SidecarScope;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The part of the mesh a {@link SidecarScope} lets its sidecars reach: the services its egress hosts
 * name, and, so that a split still splits, the backends of every TrafficSplit and HTTPRoute whose root or
 * parent is among them (and of those backends' own splits and routes). Workloads and route groups are kept whole: they cost nothing
 * until a service or split refers to them.
 */
final class SidecarScoping {

    private SidecarScoping() {
    }

    static MeshSnapshot restrict(MeshSnapshot snapshot, SidecarScope scope) {
        Set<ObjectRef> reachable = new HashSet<>();
        Deque<ObjectRef> toVisit = new ArrayDeque<>();
        for (ObjectRef service : snapshot.services().keySet()) {
            if (scope.allows(service)) {
                toVisit.add(service);
            }
        }
        while (!toVisit.isEmpty()) {
            ObjectRef service = toVisit.poll();
            if (!reachable.add(service)) {
                continue;
            }
            List<ObjectRef> backends = new java.util.ArrayList<>();
            for (TrafficSplit split : snapshot.splitsFor(service)) {
                split.backends().forEach(b -> backends.add(ObjectRef.of(split.ref().namespace(), b.service())));
            }
            for (HttpRoute route : java.util.stream.Stream.concat(snapshot.httpRoutes().values().stream(),
                    snapshot.grpcRoutes().values().stream()).toList()) {
                if (route.serviceParents().stream().anyMatch(p -> p.ref().equals(service))) {
                    route.rules().forEach(rule -> rule.backends().stream().filter(HttpRoute.BackendRef::isService)
                            .forEach(b -> backends.add(b.service())));
                }
            }
            for (ObjectRef ref : backends) {
                if (snapshot.services().containsKey(ref) && !reachable.contains(ref)) {
                    toVisit.add(ref);
                }
            }
        }
        TreeMap<ObjectRef, MeshService> services = new TreeMap<>();
        TreeMap<ObjectRef, List<ServiceEndpoint>> endpoints = new TreeMap<>();
        for (ObjectRef ref : reachable) {
            services.put(ref, snapshot.services().get(ref));
            List<ServiceEndpoint> serviceEndpoints = snapshot.endpoints().get(ref);
            if (serviceEndpoints != null) {
                endpoints.put(ref, serviceEndpoints);
            }
        }
        TreeMap<ObjectRef, TrafficSplit> splits = new TreeMap<>();
        snapshot.splits().forEach((ref, split) -> {
            if (reachable.contains(split.rootService())) {
                splits.put(ref, split);
            }
        });
        return new MeshSnapshot(snapshot.version() + "/" + scope.ref(), services, snapshot.workloads(), endpoints, splits,
                snapshot.routeGroups(), snapshot.sidecars(), snapshot.peerAuthentications(), snapshot.trafficTargets(),
                snapshot.policies(), snapshot.trust(), snapshot.httpRoutes(), snapshot.gateways(), snapshot.grpcRoutes());
    }
}
