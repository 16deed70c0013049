package io.meshwork.proxy.xds;

/** The xDS resource types the sidecar subscribes to, in the order a push should arrive. */
public enum ResourceType {
    CLUSTER("type.googleapis.com/envoy.config.cluster.v3.Cluster", true),
    ENDPOINT("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", false),
    LISTENER("type.googleapis.com/envoy.config.listener.v3.Listener", true),
    ROUTE("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", false),
    SECRET("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", false);

    private final String typeUrl;
    private final boolean wildcard;

    ResourceType(String typeUrl, boolean wildcard) {
        this.typeUrl = typeUrl;
        this.wildcard = wildcard;
    }

    public String typeUrl() {
        return typeUrl;
    }

    /** LDS and CDS are subscribed as wildcard; RDS, EDS and SDS by name. */
    public boolean wildcard() {
        return wildcard;
    }

    public static ResourceType ofTypeUrl(String typeUrl) {
        for (ResourceType type : values()) {
            if (type.typeUrl.equals(typeUrl)) {
                return type;
            }
        }
        return null;
    }
}
