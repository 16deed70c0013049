package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PeerAuthentication;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code meshwork.io/v1alpha1 PeerAuthentication} with Istio's fields: {@code spec.selector.matchLabels},
 * {@code spec.mtls.mode} (STRICT, PERMISSIVE, DISABLE, UNSET) and {@code spec.portLevelMtls}
 * (workload port → {@code {mode}}), which, as in Istio, needs a selector.
 */
final class PeerAuthenticationParser implements KindParser<PeerAuthentication> {

    @Override
    public PeerAuthentication parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.optionalObject("spec").orElse(null);
        if (spec == null) {
            return new PeerAuthentication(ref, Map.of(), PeerAuthentication.Mode.UNSET, Map.of());
        }
        Map<String, String> selector = spec.optionalObject("selector").map(s -> s.stringMap("matchLabels"))
                .orElse(Map.of());
        PeerAuthentication.Mode mode = spec.optionalObject("mtls").map(PeerAuthenticationParser::mode)
                .orElse(PeerAuthentication.Mode.UNSET);
        Map<Integer, PeerAuthentication.Mode> portModes = new TreeMap<>();
        spec.optionalObject("portLevelMtls").ifPresent(ports -> {
            if (selector.isEmpty()) {
                throw spec.error("portLevelMtls", "needs spec.selector.matchLabels: a port-level mode applies to "
                        + "the workloads a selector picks, not to a namespace or the mesh");
            }
            for (String key : ports.fields().keySet()) {
                int port;
                try {
                    port = Integer.parseInt(key);
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port < 1 || port > 65535) {
                    throw ports.error(key, "\"" + key + "\" is not a port number (1-65535)");
                }
                portModes.put(port, mode(ports.requiredObject(key)));
            }
        });
        return new PeerAuthentication(ref, selector, mode, portModes);
    }

    private static PeerAuthentication.Mode mode(YamlObject mtls) {
        String text = mtls.optionalString("mode").orElse("UNSET");
        try {
            return PeerAuthentication.Mode.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw mtls.error("mode", "\"" + text + "\" is not an mTLS mode (STRICT, PERMISSIVE, DISABLE, UNSET)");
        }
    }
}
