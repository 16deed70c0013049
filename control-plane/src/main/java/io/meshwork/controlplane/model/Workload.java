package io.meshwork.controlplane.model;

import java.util.Map;

/**
 * One instance of an application (a pod, or in local mode a {@code meshwork.io/v1alpha1 Workload}).
 *
 * <p>{@code ports} (name → port) are where other workloads connect to it. A meshed workload also has
 * {@code appPorts} (name → port where the application listens on loopback behind its sidecar); a
 * workload without appPorts is a plain, unmeshed endpoint, unless its label {@value #PROXYLESS_LABEL}
 * is {@code "true"}: then it is a proxyless gRPC server (grpc-java's XdsServerBuilder) that serves its
 * ports itself, with the mesh's certificates, as its server Listeners say.
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

    public static final String PROXYLESS_LABEL = "meshwork.io/proxyless";

    /** Whether a sidecar stands in front of it. */
    public boolean meshed() {
        return !appPorts.isEmpty();
    }

    /** Whether it is a proxyless gRPC server, configured over xDS without a sidecar. */
    public boolean proxyless() {
        return !meshed() && "true".equals(labels.get(PROXYLESS_LABEL));
    }

    /** Whether it has a mesh identity to answer for: a sidecar's, or a proxyless server's own. */
    public boolean hasMeshIdentity() {
        return meshed() || proxyless();
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
