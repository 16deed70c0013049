package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshTimeout;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;
import java.time.Duration;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshTimeout}: {@code spec.targetRef} and at least one of {@code request},
 * {@code perTry}, {@code idle} (0s: none) and {@code connect}, as durations ({@code 250ms}, {@code 2s}).
 */
final class MeshTimeoutParser implements KindParser<MeshTimeout> {

    @Override
    public MeshTimeout parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        Duration request = spec.optionalDuration("request").orElse(null);
        Duration perTry = positive(spec, "perTry");
        Duration idle = spec.optionalDuration("idle").orElse(null);
        Duration connect = positive(spec, "connect");
        if (request == null && perTry == null && idle == null && connect == null) {
            throw spec.error("request", "a MeshTimeout sets at least one of request, perTry, idle, connect");
        }
        if (request != null && perTry != null && !request.isZero() && perTry.compareTo(request) > 0) {
            throw spec.error("perTry", "is longer than request (" + request.toMillis() + " ms): no try could use it");
        }
        return new MeshTimeout(ref, target, request, perTry, idle, connect);
    }

    /** A duration that must be more than zero when given (a try or a connect cannot go without a limit). */
    static Duration positive(YamlObject spec, String key) {
        Duration value = spec.optionalDuration(key).orElse(null);
        if (value != null && value.isZero()) {
            throw spec.error(key, "must be more than 0 (leave it out for the default)");
        }
        return value;
    }
}
