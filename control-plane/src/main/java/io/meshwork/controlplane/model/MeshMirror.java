package io.meshwork.controlplane.model;

/**
 * A {@code meshwork.io/v1alpha1 MeshMirror}: a copy of {@code percentage} of the calls to the target Service goes to
 * the same port of Service {@code backend} (of the policy's namespace), fire and forget, with {@code -shadow} after the
 * Host's name, as Envoy's route {@code request_mirror_policies} and Istio's VirtualService {@code mirror}.
 *
 * @param percentage 0-100 (fractions to a ten-thousandth); 100 when not given
 */
public record MeshMirror(ObjectRef ref, PolicyTarget target, ObjectRef backend, double percentage)
        implements TargetedPolicy {
}
