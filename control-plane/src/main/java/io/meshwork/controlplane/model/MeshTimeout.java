package io.meshwork.controlplane.model;

import java.time.Duration;

/**
 * A {@code meshwork.io/v1alpha1 MeshTimeout}: the timeouts of calls to a Service. A null field is not set
 * by this policy (the mesh's default applies); {@link Duration#ZERO} for {@code request} or {@code idle} means none.
 *
 * @param request the whole request, retries included (Envoy's route {@code timeout})
 * @param perTry each try of a request (Envoy's {@code retry_policy.per_try_timeout})
 * @param idle no byte either way on a request for this long (Envoy's route {@code idle_timeout})
 * @param connect establishing an upstream connection (Envoy's cluster {@code connect_timeout})
 */
public record MeshTimeout(ObjectRef ref, PolicyTarget target, Duration request, Duration perTry, Duration idle,
                          Duration connect) implements TargetedPolicy {
}
