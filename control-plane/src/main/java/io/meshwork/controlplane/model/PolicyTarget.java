package io.meshwork.controlplane.model;

/**
 * A policy's {@code spec.targetRef}: the Service it applies to, in the policy's own namespace, and
 * optionally one of its ports (null: every port), as Kuma's targeted policies name it.
 */
public record PolicyTarget(ObjectRef service, Integer port) {

    /** Whether calls to {@code servicePort} of {@code target} are governed by this target. */
    public boolean covers(ObjectRef target, int servicePort) {
        return service.equals(target) && (port == null || port == servicePort);
    }

    @Override
    public String toString() {
        return "Service " + service + (port == null ? "" : " port " + port);
    }
}
