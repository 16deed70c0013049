package io.meshwork.injector.install;

import io.meshwork.certs.SpiffeId;
import io.meshwork.injector.YamlDocuments;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * One gateway {@code mesh install --gateway} deploys: a {@code mesh gateway} Deployment for Gateway {@code name} in
 * {@code namespace} and a Service of {@code serviceType} exposing {@code ports}, the Gateway's listener ports.
 */
public record GatewayInstall(String namespace, String name, List<Integer> ports, String serviceType) {

    /** The Service types a gateway's Service may have, as Kubernetes spells them. */
    public static final List<String> SERVICE_TYPES = List.of("LoadBalancer", "NodePort", "ClusterIP");
    /** The listener ports of {@code --gateway} without {@code --gateway-port}: HTTP and HTTPS, as Istio's ingress. */
    public static final List<Integer> DEFAULT_PORTS = List.of(80, 443);
    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    private static final String DNS_SUBDOMAIN = DNS_LABEL + "(\\." + DNS_LABEL + ")*";

    public GatewayInstall {
        if (namespace == null || !namespace.matches(DNS_LABEL)) {
            throw new IllegalArgumentException("--gateway-namespace \"" + namespace + "\" is not a namespace name (a DNS "
                    + "label)");
        }
        // The Deployment, ServiceAccount and Service are named <name>-meshwork: 63 characters at most for a Service.
        if (name == null || !name.matches(DNS_SUBDOMAIN) || name.length() > 63 - SpiffeId.GATEWAY_ACCOUNT_SUFFIX.length()) {
            throw new IllegalArgumentException("--gateway \"" + name + "\" is not a Gateway name of at most "
                    + (63 - SpiffeId.GATEWAY_ACCOUNT_SUFFIX.length()) + " characters (lower-case letters, digits, '-' and '.')");
        }
        if (ports == null || ports.isEmpty()) {
            throw new IllegalArgumentException("gateway " + namespace + "/" + name + " has no listener port");
        }
        for (int port : ports) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("gateway " + namespace + "/" + name + ": " + port
                        + " is not a port (1-65535)");
            }
        }
        ports = List.copyOf(new TreeSet<>(ports));
        String type = serviceType == null ? "LoadBalancer" : serviceType;
        serviceType = SERVICE_TYPES.stream().filter(t -> t.equalsIgnoreCase(type)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("--gateway-service-type \"" + type + "\" is not one of "
                        + String.join(", ", SERVICE_TYPES)));
    }

    /** What the Deployment, its ServiceAccount and the Service are called: {@code <gateway>-meshwork}, as Istio's. */
    public String objectName() {
        return SpiffeId.gatewayServiceAccount(name);
    }

    /** {@code 80,443} into ports, naming the flag on error. */
    public static List<Integer> ports(String list) {
        List<Integer> ports = new ArrayList<>();
        for (String part : list.split(",")) {
            String port = part.trim();
            if (!port.matches("\\d{1,5}")) {
                throw new IllegalArgumentException("--gateway-port \"" + port + "\" is not a port (1-65535)");
            }
            ports.add(Integer.parseInt(port));
        }
        return ports;
    }

    /**
     * Every {@code gateway.networking.k8s.io} Gateway in {@code yaml} (one or more documents; other kinds are skipped),
     * each with its listeners' ports; a Gateway without namespace is in {@code defaultNamespace}, as kubectl would put it.
     */
    public static List<GatewayInstall> fromYaml(String yaml, String source, String defaultNamespace, String serviceType) {
        List<GatewayInstall> gateways = new ArrayList<>();
        for (JsonNode document : YamlDocuments.read(yaml, source)) {
            if (!"Gateway".equals(document.path("kind").asString("")) || !document.path("apiVersion").asString("")
                    .startsWith("gateway.networking.k8s.io/")) {
                continue;
            }
            String name = document.path("metadata").path("name").asString("");
            String namespace = document.path("metadata").path("namespace").asString("");
            List<Integer> ports = new ArrayList<>();
            for (JsonNode listener : document.path("spec").path("listeners")) {
                if (!listener.path("port").isIntegralNumber()) {
                    throw new IllegalArgumentException(source + ": Gateway " + name + ": listener \""
                            + listener.path("name").asString("") + "\" has no port");
                }
                ports.add(listener.path("port").asInt());
            }
            gateways.add(new GatewayInstall(namespace.isEmpty() ? defaultNamespace : namespace, name, ports,
                    serviceType));
        }
        if (gateways.isEmpty()) {
            throw new IllegalArgumentException(source + ": no Gateway (gateway.networking.k8s.io) in it");
        }
        return gateways;
    }

    @Override
    public String toString() {
        return namespace + "/" + name + " " + ports + " " + serviceType.toLowerCase(Locale.ROOT);
    }
}
