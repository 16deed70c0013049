package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads a {@code v1 Service}: selector and ports. Port numbers and names must be unique. The
 * protocol comes from {@code appProtocol} (http, http2, grpc or tcp); when it is missing it is
 * taken, as Istio does, from a port name of the form {@code <protocol>} or {@code <protocol>-suffix}
 * (http, http2, grpc, tcp; https, tls, mongo, mysql and redis are passed through as tcp), and
 * otherwise it is {@code http}.
 */
final class ServiceParser implements KindParser<MeshService> {

    /** Kubernetes Service fields that mean nothing inside the mesh (cluster IPs, node ports, load balancers). */
    private static final Set<String> KUBERNETES_ONLY = Set.of("spec.type", "spec.clusterIP", "spec.clusterIPs",
            "spec.sessionAffinity", "spec.sessionAffinityConfig", "spec.externalTrafficPolicy", "spec.internalTrafficPolicy",
            "spec.ipFamilies", "spec.ipFamilyPolicy", "spec.externalIPs", "spec.externalName", "spec.loadBalancerIP",
            "spec.loadBalancerSourceRanges", "spec.loadBalancerClass", "spec.publishNotReadyAddresses",
            "spec.allocateLoadBalancerNodePorts", "spec.healthCheckNodePort", "spec.trafficDistribution",
            "spec.ports[].nodePort");

    @Override
    public Set<String> ignoredFields() {
        return KUBERNETES_ONLY;
    }

    @Override
    public MeshService parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        if (ref.name().length() > 63 || ref.name().contains(".")) {
            throw metadata.error("name", "a Service name must be a DNS label (at most 63 characters, no '.')");
        }
        YamlObject spec = document.requiredObject("spec");
        Map<String, String> selector = spec.stringMap("selector");
        List<YamlObject> portItems = spec.objectList("ports");
        if (portItems.isEmpty()) {
            throw spec.error("ports", "at least one port is required");
        }
        List<ServicePort> ports = new ArrayList<>();
        Map<Integer, String> seenNumbers = new HashMap<>();
        Map<String, String> seenNames = new HashMap<>();
        for (int i = 0; i < portItems.size(); i++) {
            YamlObject item = portItems.get(i);
            ServicePort port = port(item, portItems.size() > 1);
            String where = "spec.ports[" + i + "]";
            String before = seenNumbers.putIfAbsent(port.port(), where);
            if (before != null) {
                throw item.error("port", "port " + port.port() + " is already used by " + before);
            }
            if (!port.name().isEmpty()) {
                before = seenNames.putIfAbsent(port.name(), where);
                if (before != null) {
                    throw item.error("name", "name \"" + port.name() + "\" is already used by " + before);
                }
            }
            ports.add(port);
        }
        return new MeshService(ref, selector, ports);
    }

    private static ServicePort port(YamlObject item, boolean nameRequired) {
        String name = item.optionalString("name").orElse("");
        if (nameRequired && name.isEmpty()) {
            throw item.error("name", "is required when a Service has more than one port");
        }
        int number = item.optionalPort("port").orElseThrow(() -> item.error("port", "is required"));
        String transport = item.optionalString("protocol").orElse("TCP");
        if (!transport.equals("TCP")) {
            throw item.error("protocol", "only TCP is supported, not \"" + transport + "\"");
        }
        return new ServicePort(name, number, targetPort(item), protocol(item, name));
    }

    /** A number in 1..65535 or a port name; empty when absent (same as {@code port}). */
    private static String targetPort(YamlObject item) {
        Optional<ScalarNode> scalar = item.optionalScalar("targetPort");
        if (scalar.isEmpty()) {
            return "";
        }
        String name = scalar.get().getValue();
        if (Tag.INT.equals(scalar.get().getTag()) || (!name.isEmpty() && name.chars().allMatch(Character::isDigit))) {
            int number = name.length() > 5 ? 0 : Integer.parseInt(name);
            if (number < 1 || number > 65535) {
                throw item.error("targetPort", "port " + name + " is not in 1..65535");
            }
            return String.valueOf(number);
        }
        if (name.isEmpty() || !name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 15) {
            throw item.error("targetPort", "\"" + name + "\" is neither a port number nor a port name");
        }
        return name;
    }

    private static Protocol protocol(YamlObject item, String portName) {
        Optional<String> appProtocol = item.optionalString("appProtocol");
        if (appProtocol.isPresent()) {
            return Protocol.parse(appProtocol.get()).orElseThrow(() -> item.error("appProtocol",
                    "unknown appProtocol \"" + appProtocol.get() + "\" (expected http, http2, grpc or tcp)"));
        }
        String prefix = portName.toLowerCase(Locale.ROOT).split("-", 2)[0];
        return switch (prefix) {
            case "http2", "grpc", "tcp" -> Protocol.parse(prefix).orElseThrow();
            // Istio's names for traffic that must not be parsed as HTTP: pass it through as TCP.
            case "https", "tls", "mongo", "mysql", "redis" -> Protocol.TCP;
            default -> Protocol.HTTP;
        };
    }
}
