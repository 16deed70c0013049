package io.meshwork.controlplane.model;

import java.util.Map;

/**
 * One instance of an application (a pod, or in local mode a {@code meshwork.io/v1alpha1 Workload}).
 *
 * <p>{@code ports} (name → port) are where other workloads connect to it. A meshed workload also has
 * {@code appPorts} (name → port where the application listens on loopback behind its sidecar); a
 * workload without appPorts is a plain, unmeshed endpoint.
 */
public record Workload(
        ObjectRef ref,
        Map<String, String> labels,
        String address,
        Map<String, Integer> ports,
        Map<String, Integer> appPorts,
        String serviceAccount,
        Locality locality,
        String cluster,
        boolean ready) {

    public Workload {
        labels = Map.copyOf(labels);
        ports = Map.copyOf(ports);
        appPorts = Map.copyOf(appPorts);
        locality = locality == null ? Locality.UNKNOWN : locality;
        serviceAccount = serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount;
        cluster = cluster == null ? "" : cluster;
    }

    public boolean meshed() {
        return !appPorts.isEmpty();
    }

    /** The {@code version} label, empty when absent. */
    public String version() {
        return labels.getOrDefault("version", "");
    }

    /** Whether every entry of {@code selector} is among this workload's labels (an empty selector picks nothing). */
    public boolean matches(Map<String, String> selector) {
        return !selector.isEmpty() && selector.entrySet().stream()
                .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
