package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshMirror;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshMirror}: {@code spec.targetRef}, {@code backend {name}} (a Service of the
 * policy's namespace, not the target itself) and {@code percentage} (0-100, 100 when left out).
 */
final class MeshMirrorParser implements KindParser<MeshMirror> {

    @Override
    public MeshMirror parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        YamlObject backend = spec.requiredObject("backend");
        String kind = backend.optionalString("kind").orElse("Service");
        if (!kind.equals("Service")) {
            throw backend.error("kind", "\"" + kind + "\" is not a kind a mirror can call (Service)");
        }
        ObjectRef service = ObjectRef.of(ref.namespace(), backend.requiredString("name"));
        if (service.equals(target.service())) {
            throw backend.error("name", "\"" + service.name() + "\" is the target itself: its calls would mirror to it");
        }
        return new MeshMirror(ref, target, service, MeshFaultInjectionParser.percentage(spec, "percentage"));
    }
}
