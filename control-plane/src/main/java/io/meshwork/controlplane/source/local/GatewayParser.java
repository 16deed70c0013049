package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a Gateway API {@code Gateway} (v1, v1beta1): {@code gatewayClassName} and {@code listeners} (name, port,
 * protocol HTTP or HTTPS, hostname with an optional {@code *.} wildcard, {@code tls} with {@code mode: Terminate} and
 * {@code certificateRefs} to Secrets, {@code allowedRoutes} with {@code namespaces.from} Same, All or Selector and
 * {@code kinds} HTTPRoute and GRPCRoute). What the spec calls a conflict (listeners sharing a port with different protocols, or the
 * same port and host name) or what Meshwork does not serve (another protocol, TLS passthrough, another route kind)
 * rejects the Gateway with the field named, and so do {@code spec.addresses} (the gateway listens on every address of
 * its pod: UnsupportedAddress) and {@code spec.infrastructure.parametersRef} (it takes no parameters:
 * InvalidParameters); whether its Secrets exist is checked once everything is loaded ({@link GatewayWarnings}).
 */
final class GatewayParser implements KindParser<Gateway> {

    /** RFC 1123 names with an optional leading {@code *.} label, as the Gateway API's Hostname type. */
    private static final Pattern HOSTNAME =
            Pattern.compile("(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern SECTION_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Set<String> OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

    @Override
    public Gateway parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        String className = spec.requiredString("gatewayClassName");
        if (spec.isList("addresses") && !spec.sequence("addresses").isEmpty()) {
            throw spec.error("addresses", "Meshwork's gateway takes no addresses: it listens on every address of the pod "
                    + "it runs in, reached through its Service (UnsupportedAddress)");
        }
        spec.optionalObject("infrastructure").flatMap(i -> i.optionalObject("parametersRef")).ifPresent(parameters -> {
            throw parameters.error("kind", "Meshwork's gateway takes no parameters (InvalidParameters)");
        });
        List<YamlObject> items = spec.objectList("listeners");
        if (items.isEmpty()) {
            throw spec.error("listeners", "at least one listener is required");
        }
        List<Gateway.Listener> listeners = new ArrayList<>();
        Map<Integer, Gateway.Listener> protocolByPort = new HashMap<>();
        Set<String> portHosts = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (YamlObject item : items) {
            Gateway.Listener listener = listener(ref, item);
            if (!names.add(listener.name())) {
                throw item.error("name", "\"" + listener.name() + "\" is the name of another listener of this Gateway");
            }
            Gateway.Listener samePort = protocolByPort.putIfAbsent(listener.port(), listener);
            if (samePort != null && samePort.protocol() != listener.protocol()) {
                throw item.error("port", listener.port() + " is also the port of listener \"" + samePort.name()
                        + "\" with protocol " + samePort.protocol() + " (ProtocolConflict: listeners sharing a port "
                        + "need one protocol)");
            }
            String hostname = listener.hostname() == null ? "" : listener.hostname();
            if (!portHosts.add(listener.port() + "/" + hostname)) {
                throw item.error("hostname", (hostname.isEmpty() ? "no hostname" : "\"" + hostname + "\"")
                        + " is also another listener's on port " + listener.port() + " (HostnameConflict)");
            }
            listeners.add(listener);
        }
        return new Gateway(ref, className, listeners);
    }

    private static Gateway.Listener listener(ObjectRef gateway, YamlObject item) {
        String name = item.requiredString("name");
        if (name.length() > 253 || !SECTION_NAME.matcher(name).matches()) {
            throw item.error("name", "\"" + name + "\" is not a valid listener name (lowercase letters, digits and '-')");
        }
        int port = item.optionalPort("port").orElseThrow(() -> item.error("port", "is required"));
        String protocolName = item.requiredString("protocol");
        Gateway.Protocol protocol = switch (protocolName) {
            case "HTTP" -> Gateway.Protocol.HTTP;
            case "HTTPS" -> Gateway.Protocol.HTTPS;
            default -> throw item.error("protocol", "\"" + protocolName + "\" is not a protocol Meshwork's gateway "
                    + "serves (HTTP, HTTPS)");
        };
        String hostname = item.optionalString("hostname").map(h -> hostname(item, "hostname", h)).orElse(null);
        List<ObjectRef> certificates = new ArrayList<>();
        YamlObject tls = item.optionalObject("tls").orElse(null);
        if (protocol == Gateway.Protocol.HTTP && tls != null) {
            throw item.error("tls", "is for HTTPS listeners; an HTTP listener has none");
        }
        if (protocol == Gateway.Protocol.HTTPS) {
            if (tls == null) {
                throw item.error("tls", "is required for an HTTPS listener (mode Terminate, certificateRefs)");
            }
            String mode = tls.optionalString("mode").orElse("Terminate");
            if (!mode.equals("Terminate")) {
                throw tls.error("mode", "\"" + mode + "\" is not supported (Terminate)");
            }
            for (YamlObject certificate : tls.objectList("certificateRefs")) {
                String group = certificate.optionalString("group").orElse("");
                String kind = certificate.optionalString("kind").orElse("Secret");
                if (!(group.isEmpty() || group.equals("core")) || !kind.equals("Secret")) {
                    throw certificate.error("kind", "\"" + (group.isEmpty() ? "" : group + "/") + kind
                            + "\" is not a certificate kind Meshwork reads (Secret)");
                }
                certificates.add(ObjectRef.of(certificate.optionalString("namespace").filter(s -> !s.isEmpty())
                        .orElse(gateway.namespace()), certificate.requiredString("name")));
            }
            if (certificates.isEmpty()) {
                throw tls.error("certificateRefs", "at least one Secret is required to terminate TLS");
            }
        }
        return new Gateway.Listener(name, port, protocol, hostname, certificates,
                item.optionalObject("allowedRoutes").map(GatewayParser::allowedRoutes)
                        .orElse(Gateway.AllowedRoutes.SAME));
    }

    private static Gateway.AllowedRoutes allowedRoutes(YamlObject allowed) {
        List<String> kinds = new ArrayList<>();
        for (YamlObject kind : allowed.objectList("kinds")) {
            String group = kind.optionalString("group").orElse(Gateways.GROUP);
            String name = kind.requiredString("kind");
            if (!group.equals(Gateways.GROUP) || !Gateway.AllowedRoutes.ROUTE_KINDS.contains(name)) {
                throw kind.error("kind", "\"" + name + "\" is not a route kind Meshwork's gateway serves ("
                        + String.join(", ", Gateway.AllowedRoutes.ROUTE_KINDS) + ")");
            }
            if (!kinds.contains(name)) {
                kinds.add(name);
            }
        }
        return namespaces(allowed).withKinds(kinds.isEmpty() ? Gateway.AllowedRoutes.ROUTE_KINDS : kinds);
    }

    private static Gateway.AllowedRoutes namespaces(YamlObject allowed) {
        YamlObject namespaces = allowed.optionalObject("namespaces").orElse(null);
        if (namespaces == null) {
            return Gateway.AllowedRoutes.SAME;
        }
        String from = namespaces.optionalString("from").orElse("Same");
        return switch (from) {
            case "Same" -> Gateway.AllowedRoutes.SAME;
            case "All" -> new Gateway.AllowedRoutes(Gateway.From.ALL, null);
            case "Selector" -> new Gateway.AllowedRoutes(Gateway.From.SELECTOR, selector(namespaces.optionalObject(
                    "selector").orElseThrow(() -> namespaces.error("selector", "is required with from: Selector"))));
            default -> throw namespaces.error("from", "\"" + from + "\" is not one of Same, All, Selector");
        };
    }

    private static Gateway.LabelSelector selector(YamlObject selector) {
        List<Gateway.LabelSelector.Expression> expressions = new ArrayList<>();
        for (YamlObject expression : selector.objectList("matchExpressions")) {
            String operator = expression.requiredString("operator");
            if (!OPERATORS.contains(operator)) {
                throw expression.error("operator", "\"" + operator + "\" is not one of In, NotIn, Exists, DoesNotExist");
            }
            expressions.add(new Gateway.LabelSelector.Expression(expression.requiredString("key"), operator,
                    expression.stringList("values")));
        }
        return new Gateway.LabelSelector(selector.stringMap("matchLabels"), expressions);
    }

    /** A Gateway API Hostname: a DNS name, optionally {@code *.} and a name; no IP address. */
    static String hostname(YamlObject owner, String field, String value) {
        if (value.length() > 253 || !HOSTNAME.matcher(value).matches() || value.matches("[0-9.]+")) {
            throw owner.error(field, "\"" + value + "\" is not a host name (lowercase DNS name, optionally starting "
                    + "with *.; not an IP address)");
        }
        return value;
    }
}
