package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshCircuitBreaker;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshCircuitBreaker}: {@code spec.targetRef} and at least one of
 * {@code maxConnections}, {@code maxPendingRequests}, {@code maxRequests} (each at least 1, but pending requests
 * may be 0: nothing waits for a connection) and {@code maxRetries} (0: no retries).
 */
final class MeshCircuitBreakerParser implements KindParser<MeshCircuitBreaker> {

    @Override
    public MeshCircuitBreaker parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        Integer maxConnections = limit(spec, "maxConnections", 1);
        Integer maxPending = limit(spec, "maxPendingRequests", 0);
        Integer maxRequests = limit(spec, "maxRequests", 1);
        Integer maxRetries = limit(spec, "maxRetries", 0);
        if (maxConnections == null && maxPending == null && maxRequests == null && maxRetries == null) {
            throw spec.error("maxConnections", "a MeshCircuitBreaker sets at least one of maxConnections, "
                    + "maxPendingRequests, maxRequests, maxRetries");
        }
        return new MeshCircuitBreaker(ref, target, maxConnections, maxPending, maxRequests, maxRetries);
    }

    private static Integer limit(YamlObject spec, String key, int least) {
        Integer value = spec.optionalInt(key).orElse(null);
        if (value != null && value < least) {
            throw spec.error(key, value + " is less than " + least);
        }
        return value;
    }
}
