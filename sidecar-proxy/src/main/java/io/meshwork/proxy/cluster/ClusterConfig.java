package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import java.time.Duration;
import java.util.List;

/**
 * A cluster as the data plane uses it: how to balance, how to connect, and its endpoints
 * (already joined with its ClusterLoadAssignment).
 */
public record ClusterConfig(String name, LbPolicy lbPolicy, Duration connectTimeout, boolean http2,
                            String service, String edsServiceName, List<EndpointConfig> endpoints) {

    /** The load-balancing policies the sidecar implements. */
    public enum LbPolicy { ROUND_ROBIN, LEAST_REQUEST }

    public ClusterConfig {
        endpoints = List.copyOf(endpoints);
    }

    /** Whether the endpoints come from EDS (and so the cluster waits for its assignment). */
    public boolean usesEds() {
        return edsServiceName != null;
    }

    public ClusterConfig withEndpoints(List<EndpointConfig> newEndpoints) {
        return new ClusterConfig(name, lbPolicy, connectTimeout, http2, service, edsServiceName, newEndpoints);
    }
}
