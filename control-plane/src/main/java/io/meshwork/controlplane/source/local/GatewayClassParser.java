package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.ObjectRef;

/**
 * Reads a Gateway API {@code GatewayClass} (cluster-scoped; a namespace written on it is ignored):
 * {@code spec.controllerName}. Only Gateways of a class whose controller is {@value Gateways#CONTROLLER} are served.
 */
final class GatewayClassParser implements KindParser<Gateways.GatewayClass> {

    @Override
    public Gateways.GatewayClass parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        return new Gateways.GatewayClass(ref.name(), document.requiredObject("spec").requiredString("controllerName"));
    }

    @Override
    public java.util.Set<String> ignoredFields() {
        return java.util.Set.of("spec.description", "spec.parametersRef");
    }
}
