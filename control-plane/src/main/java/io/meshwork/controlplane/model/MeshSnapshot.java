package io.meshwork.controlplane.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * An immutable, validated picture of the whole mesh at one moment: what every source (local files,
 * Kubernetes) produces and what translation reads. Maps are sorted by ref so that translation is
 * deterministic.
 *
 * @param version changes whenever anything in the snapshot changes
 * @param endpoints per Service ref, the endpoints of all its ports, from its selector
 */
public record MeshSnapshot(
        String version,
        SortedMap<ObjectRef, MeshService> services,
        SortedMap<ObjectRef, Workload> workloads,
        SortedMap<ObjectRef, List<ServiceEndpoint>> endpoints,
        SortedMap<ObjectRef, TrafficSplit> splits,
        SortedMap<ObjectRef, HttpRouteGroup> routeGroups) {

    public MeshSnapshot {
        services = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(services));
        workloads = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(workloads));
        java.util.TreeMap<ObjectRef, List<ServiceEndpoint>> eps = new java.util.TreeMap<>();
        endpoints.forEach((k, v) -> eps.put(k, List.copyOf(v)));
        endpoints = java.util.Collections.unmodifiableSortedMap(eps);
        splits = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(splits));
        routeGroups = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(routeGroups));
    }

    public static MeshSnapshot empty() {
        return new MeshSnapshot("0", new java.util.TreeMap<>(), new java.util.TreeMap<>(), new java.util.TreeMap<>(),
                new java.util.TreeMap<>(), new java.util.TreeMap<>());
    }

    public Optional<MeshService> service(ObjectRef ref) {
        return Optional.ofNullable(services.get(ref));
    }

    public List<ServiceEndpoint> endpointsOf(ObjectRef service) {
        return endpoints.getOrDefault(service, List.of());
    }

    /** The TrafficSplits whose root service is {@code service}. */
    public List<TrafficSplit> splitsFor(ObjectRef service) {
        return splits.values().stream().filter(s -> s.rootService().equals(service)).toList();
    }

    public Map<ObjectRef, TrafficSplit> splitsByRef() {
        return splits;
    }
}
