package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.TargetedPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Warnings about resilience policies whose {@code spec.targetRef} names no Service of their namespace, or a port
 * the Service does not have: accepted (the Service may come later, as in Kuma), but they apply to nothing until
 * it does, which {@code mesh analyze} says.
 */
final class PolicyWarnings {

    private PolicyWarnings() {
    }

    static List<ConfigProblem> of(Collection<ConfigObject> accepted, MeshSnapshot snapshot) {
        List<ConfigProblem> warnings = new ArrayList<>();
        for (ConfigObject object : accepted) {
            if (!(object.value() instanceof TargetedPolicy policy)) {
                continue;
            }
            MeshService service = snapshot.services().get(policy.target().service());
            if (service == null) {
                warnings.add(warning(object, "spec.targetRef.name", "\"" + policy.target().service().name()
                        + "\" is not a Service in namespace " + policy.ref().namespace() + ": this "
                        + object.kind().kindName() + " applies to nothing"));
            } else if (policy.target().port() != null && service.port(policy.target().port()).isEmpty()) {
                warnings.add(warning(object, "spec.targetRef.port", "Service " + service.ref().name() + " has no port "
                        + policy.target().port() + ": this " + object.kind().kindName() + " applies to nothing"));
            }
            if (policy instanceof io.meshwork.controlplane.model.MeshMirror mirror
                    && snapshot.services().get(mirror.backend()) == null) {
                warnings.add(warning(object, "spec.backend.name", "\"" + mirror.backend().name()
                        + "\" is not a Service in namespace " + mirror.ref().namespace() + ": nothing is mirrored"));
            }
        }
        return warnings;
    }

    private static ConfigProblem warning(ConfigObject object, String field, String message) {
        return ConfigProblem.warning(object.locationOf(field), object.kind().kindName(), object.ref(), field, message);
    }
}
