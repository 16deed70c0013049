package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads the envelope of a document (apiVersion, kind, metadata), hands the rest to the parser of
 * its kind, and turns any failure into one {@link ConfigProblem}. A missing namespace is {@code default}.
 */
final class DocumentParser {

    static final String DEFAULT_NAMESPACE = "default";

    // Kubernetes object names: DNS-1123 subdomain; namespaces: DNS-1123 label.
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private final Map<ConfigKind, KindParser<?>> parsers = Map.ofEntries(
            Map.entry(ConfigKind.SERVICE, new ServiceParser()),
            Map.entry(ConfigKind.WORKLOAD, new WorkloadParser()),
            Map.entry(ConfigKind.SIDECAR, new SidecarParser()),
            Map.entry(ConfigKind.PEER_AUTHENTICATION, new PeerAuthenticationParser()),
            Map.entry(ConfigKind.MESH_TIMEOUT, new MeshTimeoutParser()),
            Map.entry(ConfigKind.MESH_RETRY, new MeshRetryParser()),
            Map.entry(ConfigKind.MESH_CIRCUIT_BREAKER, new MeshCircuitBreakerParser()),
            Map.entry(ConfigKind.MESH_FAULT_INJECTION, new MeshFaultInjectionParser()),
            Map.entry(ConfigKind.MESH_RATE_LIMIT, new MeshRateLimitParser()),
            Map.entry(ConfigKind.MESH_MIRROR, new MeshMirrorParser()),
            Map.entry(ConfigKind.TRAFFIC_TARGET, new TrafficTargetParser()),
            Map.entry(ConfigKind.TRAFFIC_SPLIT, new TrafficSplitParser()),
            Map.entry(ConfigKind.HTTP_ROUTE_GROUP, new HttpRouteGroupParser()),
            Map.entry(ConfigKind.HTTP_ROUTE, new HttpRouteParser()),
            Map.entry(ConfigKind.GRPC_ROUTE, new GrpcRouteParser()),
            Map.entry(ConfigKind.GATEWAY_CLASS, new GatewayClassParser()),
            Map.entry(ConfigKind.GATEWAY, new GatewayParser()),
            Map.entry(ConfigKind.REFERENCE_GRANT, new ReferenceGrantParser()),
            Map.entry(ConfigKind.SECRET, new TlsSecretParser()));

    DocumentOutcome parse(String file, int documentIndex, Node root) {
        SourceLocation at = new SourceLocation(file, documentIndex, YamlObject.lineOf(root));
        String kindName = "";
        ObjectRef ref = null;
        ConfigObject.Key key = null;
        try {
            YamlObject document = YamlObject.document(root);
            kindName = document.requiredString("kind");
            String apiVersion = document.requiredString("apiVersion");
            Optional<ConfigKind> kind = ConfigKind.byName(kindName);
            if (kind.isEmpty() || !kind.get().inGroup(apiVersion)) {
                return new DocumentOutcome.Ignored(ConfigProblem.warning(at, kindName, nameIfAny(document), "",
                        "local mode does not read " + apiVersion + " " + kindName + "; document ignored"));
            }
            YamlObject metadata = document.requiredObject("metadata");
            ref = ref(metadata);
            key = new ConfigObject.Key(kind.get(), ref);
            if (!kind.get().accepts(apiVersion)) {
                throw document.error("apiVersion", "\"" + apiVersion + "\" is not supported for " + kindName
                        + " (supported: " + kind.get().supportedVersions() + ")");
            }
            KindParser<?> kindParser = parsers.get(kind.get());
            Object value = kindParser.parse(ref, apiVersion, document, metadata);
            List<ConfigProblem> warnings = new ArrayList<>();
            // The envelope (status, metadata.annotations, ...) is not ours to judge; the spec is.
            for (YamlObject.UnknownField unknown : document.unreadFields(path -> !path.isEmpty() && !path.startsWith("metadata"))) {
                if (!kindParser.ignoredFields().contains(unknown.pattern())) {
                    warnings.add(ConfigProblem.warning(at.atLine(unknown.line()), kindName, ref, unknown.path(),
                            "unknown field, ignored (a typo?)"));
                }
            }
            return new DocumentOutcome.Accepted(new ConfigObject(key, at, value, document.lines()), warnings);
        } catch (InvalidFieldException e) {
            ConfigProblem problem = ConfigProblem.error(at.atLine(e.line()), kindName, ref, e.field(), e.getMessage());
            return new DocumentOutcome.Rejected(problem, key);
        }
    }

    /** The name of a document we do not read, for the warning; null when it has none that we can use. */
    private static ObjectRef nameIfAny(YamlObject document) {
        try {
            return ref(document.requiredObject("metadata"));
        } catch (InvalidFieldException e) {
            return null;
        }
    }

    private static ObjectRef ref(YamlObject metadata) {
        String name = metadata.requiredString("name");
        if (name.length() > 253 || !NAME.matcher(name).matches()) {
            throw metadata.error("name", "\"" + name + "\" is not a valid name (lowercase letters, digits, '-' and '.')");
        }
        String namespace = metadata.optionalString("namespace").filter(s -> !s.isEmpty()).orElse(DEFAULT_NAMESPACE);
        if (namespace.length() > 63 || !LABEL.matcher(namespace).matches()) {
            throw metadata.error("namespace", "\"" + namespace + "\" is not a valid namespace (lowercase letters, digits and '-')");
        }
        return ObjectRef.of(namespace, name);
    }
}
