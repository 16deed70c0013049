package io.meshwork.controlplane.model;

/**
 * A {@code meshwork.io/v1alpha1 MeshCircuitBreaker}: how much a client sidecar may ask of a Service's cluster at
 * once, as Envoy's {@code circuit_breakers.thresholds} (DEFAULT priority). A null limit is not set by this policy:
 * Envoy's default applies (1024 connections, pending requests and requests; 3 retries, or a MeshRetry's budget).
 *
 * @param maxConnections connections to all the cluster's endpoints
 * @param maxPendingRequests requests waiting for a connection
 * @param maxRequests requests in flight
 * @param maxRetries retries in flight
 */
public record MeshCircuitBreaker(ObjectRef ref, PolicyTarget target, Integer maxConnections,
                                 Integer maxPendingRequests, Integer maxRequests, Integer maxRetries)
        implements TargetedPolicy {
}
