package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;

/**
 * Reads {@code spec.targetRef} of a resilience policy: {@code {kind: Service, name: N[, port: P]}}, the Service in
 * the policy's own namespace. Shared by every policy kind, so they all aim the same way.
 */
final class PolicyTargetParser {

    private PolicyTargetParser() {
    }

    static PolicyTarget read(ObjectRef policy, YamlObject spec) {
        YamlObject targetRef = spec.requiredObject("targetRef");
        String kind = targetRef.requiredString("kind");
        if (!kind.equals("Service")) {
            throw targetRef.error("kind", "\"" + kind + "\" is not a kind a policy can target (Service)");
        }
        String name = targetRef.requiredString("name");
        Integer port = targetRef.optionalPort("port").orElse(null);
        return new PolicyTarget(ObjectRef.of(policy.namespace(), name), port);
    }
}
