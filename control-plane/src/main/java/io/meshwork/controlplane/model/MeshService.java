package io.meshwork.controlplane.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A {@code v1 Service}: a stable name in front of the workloads its selector picks. */
public record MeshService(ObjectRef ref, Map<String, String> selector, List<ServicePort> ports) {

    public MeshService {
        selector = Map.copyOf(selector);
        ports = List.copyOf(ports);
    }

    public Optional<ServicePort> port(int number) {
        return ports.stream().filter(p -> p.port() == number).findFirst();
    }

    public Optional<ServicePort> port(String name) {
        return ports.stream().filter(p -> name.equals(p.name())).findFirst();
    }
}
