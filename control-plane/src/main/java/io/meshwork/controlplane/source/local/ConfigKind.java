package io.meshwork.controlplane.source.local;

import java.util.Optional;
import java.util.Set;

/** The resource kinds local mode reads, with the apiVersions accepted for each. */
public enum ConfigKind {
    SERVICE("Service", "", Set.of("v1")),
    WORKLOAD("Workload", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    SIDECAR("Sidecar", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    PEER_AUTHENTICATION("PeerAuthentication", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    MESH_TIMEOUT("MeshTimeout", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    MESH_RETRY("MeshRetry", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    MESH_CIRCUIT_BREAKER("MeshCircuitBreaker", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    MESH_FAULT_INJECTION("MeshFaultInjection", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    MESH_RATE_LIMIT("MeshRateLimit", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    MESH_MIRROR("MeshMirror", "meshwork.io", Set.of("meshwork.io/v1alpha1")),
    TRAFFIC_TARGET("TrafficTarget", "access.smi-spec.io", Set.of(
            "access.smi-spec.io/v1alpha2", "access.smi-spec.io/v1alpha3")),
    TRAFFIC_SPLIT("TrafficSplit", "split.smi-spec.io", Set.of(
            "split.smi-spec.io/v1alpha1", "split.smi-spec.io/v1alpha2",
            "split.smi-spec.io/v1alpha3", "split.smi-spec.io/v1alpha4")),
    HTTP_ROUTE_GROUP("HTTPRouteGroup", "specs.smi-spec.io", Set.of(
            "specs.smi-spec.io/v1alpha1", "specs.smi-spec.io/v1alpha2",
            "specs.smi-spec.io/v1alpha3", "specs.smi-spec.io/v1alpha4")),
    HTTP_ROUTE("HTTPRoute", "gateway.networking.k8s.io", Set.of(
            "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1")),
    GRPC_ROUTE("GRPCRoute", "gateway.networking.k8s.io", Set.of(
            "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1alpha2")),
    GATEWAY_CLASS("GatewayClass", "gateway.networking.k8s.io", Set.of(
            "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1")),
    GATEWAY("Gateway", "gateway.networking.k8s.io", Set.of(
            "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1")),
    REFERENCE_GRANT("ReferenceGrant", "gateway.networking.k8s.io", Set.of(
            "gateway.networking.k8s.io/v1beta1", "gateway.networking.k8s.io/v1alpha2")),
    /** Only {@code kubernetes.io/tls} Secrets: the certificates of Gateway listeners. */
    SECRET("Secret", "", Set.of("v1"));

    private final String kindName;
    private final String group;
    private final Set<String> apiVersions;

    ConfigKind(String kindName, String group, Set<String> apiVersions) {
        this.kindName = kindName;
        this.group = group;
        this.apiVersions = apiVersions;
    }

    /** The {@code kind} as written in YAML, e.g. {@code TrafficSplit}. */
    public String kindName() {
        return kindName;
    }

    /** The API group, empty for the core API. */
    public String group() {
        return group;
    }

    /** Every apiVersion read for this kind, as {@code group/version}. */
    public Set<String> apiVersions() {
        return apiVersions;
    }

    boolean accepts(String apiVersion) {
        return apiVersions.contains(apiVersion);
    }

    /** Whether {@code apiVersion} belongs to this kind's API group (a version we may not support). */
    boolean inGroup(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        String apiGroup = slash < 0 ? "" : apiVersion.substring(0, slash);
        return apiGroup.equals(group);
    }

    String supportedVersions() {
        return String.join(", ", new java.util.TreeSet<>(apiVersions));
    }

    static Optional<ConfigKind> byName(String kind) {
        for (ConfigKind k : values()) {
            if (k.kindName.equals(kind)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
