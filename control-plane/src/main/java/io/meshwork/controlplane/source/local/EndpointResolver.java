package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.Workload;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Picks each Service's endpoints: the Workloads of its namespace that its selector matches, one
 * endpoint per service port. A workload port named like the service port wins, as Istio's WorkloadEntry
 * {@code ports} override {@code targetPort} (a Service copied from Kubernetes says {@code targetPort: 8080},
 * which is the pod's port, not the local workload's). Otherwise the port follows Kubernetes'
 * {@code targetPort}: a name is looked up in the workload's {@code ports} (a workload without it is
 * skipped for that port); a number is used as is; when absent, the service port.
 */
public final class EndpointResolver {

    private EndpointResolver() {
    }

    /** Endpoints of every service, ordered by service port and then workload. */
    public static Map<ObjectRef, List<ServiceEndpoint>> resolve(Collection<MeshService> services, Collection<Workload> workloads) {
        // Indexed by (namespace, label, value): scanning every workload for every service is quadratic,
        // seconds at 1,000 services x 10 workloads.
        Map<Label, List<Workload>> byLabel = new HashMap<>();
        workloads.stream().sorted(Comparator.comparing(Workload::ref)).forEach(w -> w.labels().forEach((key, value) ->
                byLabel.computeIfAbsent(new Label(w.ref().namespace(), key, value), l -> new ArrayList<>()).add(w)));
        Map<ObjectRef, List<ServiceEndpoint>> result = new TreeMap<>();
        for (MeshService service : services) {
            List<Workload> selected = service.selector().entrySet().stream()
                    .map(e -> byLabel.getOrDefault(new Label(service.ref().namespace(), e.getKey(), e.getValue()), List.of()))
                    .min(Comparator.comparingInt(List::size))
                    .orElse(List.of())
                    .stream()
                    .filter(w -> w.matches(service.selector()))
                    .toList();
            List<ServiceEndpoint> endpoints = new ArrayList<>();
            for (ServicePort port : service.ports()) {
                for (Workload workload : selected) {
                    endpointPort(port, workload).ifPresent(p ->
                            endpoints.add(new ServiceEndpoint(service.ref(), port.port(), workload, workload.address(), p)));
                }
            }
            result.put(service.ref(), endpoints);
        }
        return result;
    }

    private record Label(String namespace, String key, String value) {
    }

    static OptionalInt endpointPort(ServicePort port, Workload workload) {
        Integer namedLikeServicePort = port.name().isEmpty() ? null : workload.ports().get(port.name());
        if (namedLikeServicePort != null) {
            return OptionalInt.of(namedLikeServicePort);
        }
        String target = port.targetPort();
        if (target.isEmpty()) {
            return OptionalInt.of(port.port());
        }
        if (target.chars().allMatch(Character::isDigit)) {
            return OptionalInt.of(Integer.parseInt(target));
        }
        Integer named = workload.ports().get(target);
        return named == null ? OptionalInt.empty() : OptionalInt.of(named);
    }
}
