package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.YamlNodes.child;
import static io.meshwork.controlplane.source.local.YamlNodes.intScalar;
import static io.meshwork.controlplane.source.local.YamlNodes.plain;
import static io.meshwork.controlplane.source.local.YamlNodes.put;
import static io.meshwork.controlplane.source.local.YamlNodes.scalar;
import static io.meshwork.controlplane.source.local.YamlNodes.scalarValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * The weights of a service's producer HTTPRoute or GRPCRoute (GAMMA: a route in the service's namespace whose
 * {@code parentRefs} name the Service) as a YAML node tree: the backendRefs of its rule that has no matches
 * (or only {@code PathPrefix /}, or {@code {}}, which is what no matches means), which {@code mesh split} and
 * {@code mesh canary} weigh as Flagger does with the Gateway API. A backendRef's weight defaults to 1.
 */
final class HttpRouteWeights {

    private HttpRouteWeights() {
    }

    /** The route kinds whose weights are weighed, the one that overrides the other first (as translation orders them). */
    static final List<String> KINDS = List.of("HTTPRoute", "GRPCRoute");

    /** Whether {@code doc} is a route of {@code kind} in {@code namespace} whose parentRefs name the Service {@code service}. */
    static boolean routes(Node doc, String kind, String namespace, String service) {
        if (scalar(doc, "kind").filter(kind::equals).isEmpty()
                || scalar(doc, "apiVersion").filter(v -> v.startsWith("gateway.networking.k8s.io/")).isEmpty()
                || !scalar(doc, "metadata", "namespace").orElse("default").equals(namespace)) {
            return false;
        }
        for (Node parent : items(child(doc, "spec").flatMap(s -> child(s, "parentRefs")))) {
            if (scalarValue(parent, "kind").filter("Service"::equals).isPresent()
                    && scalarValue(parent, "group").map(g -> g.isEmpty() || g.equals("core")).orElse(true)
                    && scalarValue(parent, "name").filter(service::equals).isPresent()
                    && scalarValue(parent, "namespace").orElse(namespace).equals(namespace)) {
                return true;
            }
        }
        return false;
    }

    /** The index of the route's first rule without matches (or with only {@code PathPrefix /}); -1 when it has none. */
    static int defaultRule(Node doc) {
        List<Node> rules = items(child(doc, "spec").flatMap(s -> child(s, "rules")));
        for (int i = 0; i < rules.size(); i++) {
            List<Node> matches = items(child(rules.get(i), "matches"));
            if (matches.isEmpty() || matches.size() == 1 && matchesEverything(matches.get(0))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean matchesEverything(Node match) {
        if (!(match instanceof MappingNode mapping) || mapping.getValue().size() > 1) {
            return false;
        }
        if (mapping.getValue().isEmpty()) {
            return true; // {}: the default match, PathPrefix /
        }
        Optional<Node> path = child(match, "path");
        return path.isPresent() && scalarValue(path.get(), "type").orElse("PathPrefix").equals("PathPrefix")
                && scalarValue(path.get(), "value").orElse("/").equals("/");
    }

    /**
     * The weights of rule {@code rule}'s backendRefs by Service name, in their order; a backendRef that is not a
     * Service of the route's namespace, or a weight that is not a whole number in 0..1,000,000, is refused
     * naming its field.
     */
    static Map<String, Long> weightsOf(Node doc, int rule, String namespace) {
        Map<String, Long> weights = new LinkedHashMap<>();
        List<Node> backends = backendRefs(doc, rule);
        for (int i = 0; i < backends.size(); i++) {
            Node backend = backends.get(i);
            String field = "spec.rules[" + rule + "].backendRefs[" + i + "]";
            String kind = scalarValue(backend, "kind").orElse("Service");
            String name = scalarValue(backend, "name").orElseThrow(() -> new IllegalArgumentException(field + ".name: missing"));
            if (!kind.equals("Service") || !scalarValue(backend, "namespace").orElse(namespace).equals(namespace)) {
                throw new IllegalArgumentException(field + ": " + kind + " " + scalarValue(backend, "namespace").orElse(namespace)
                        + "/" + name + " is not a Service of the route's namespace; mesh split and mesh canary weigh those only");
            }
            String weight = scalarValue(backend, "weight").orElse("1").strip();
            long value;
            try {
                value = Long.parseLong(weight);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(field + ".weight: \"" + weight + "\" is not a whole number");
            }
            if (value < 0 || value > HttpRouteParser.MAX_WEIGHT) {
                throw new IllegalArgumentException(field + ".weight: " + value + " is not in 0.." + HttpRouteParser.MAX_WEIGHT);
            }
            weights.put(name, value);
        }
        return weights;
    }

    /**
     * Sets the given backends' weights in rule {@code rule} of {@code doc}, leaving each backendRef's other fields
     * (port, filters) as written; a backend the rule lacks is appended with the port of the rule's first backendRef, written as
     * the backendRef before it (block or flow).
     */
    static void rewrite(Node doc, int rule, Map<String, Long> weights) {
        MappingNode ruleNode = (MappingNode) items(child(doc, "spec").flatMap(s -> child(s, "rules"))).get(rule);
        SequenceNode backends = child(ruleNode, "backendRefs").filter(SequenceNode.class::isInstance)
                .map(SequenceNode.class::cast).orElseGet(() -> {
                    SequenceNode created = new SequenceNode(Tag.SEQ, new ArrayList<>(), FlowStyle.BLOCK);
                    put(ruleNode, "backendRefs", created);
                    return created;
                });
        Map<String, Long> left = new LinkedHashMap<>(weights);
        Optional<String> port = Optional.empty();
        FlowStyle style = FlowStyle.BLOCK; // as the backendRef before it
        for (Node backend : backends.getValue()) {
            if (port.isEmpty()) {
                port = scalarValue(backend, "port");
            }
            style = ((MappingNode) backend).getFlowStyle();
            Long weight = scalarValue(backend, "name").map(left::remove).orElse(null);
            if (weight != null) {
                put((MappingNode) backend, "weight", intScalar(weight));
            }
        }
        for (Map.Entry<String, Long> added : left.entrySet()) {
            List<NodeTuple> tuples = new ArrayList<>();
            tuples.add(new NodeTuple(plain("name"), plain(added.getKey())));
            port.ifPresent(p -> tuples.add(new NodeTuple(plain("port"), new ScalarNode(Tag.INT, p, ScalarStyle.PLAIN))));
            tuples.add(new NodeTuple(plain("weight"), intScalar(added.getValue())));
            backends.getValue().add(new MappingNode(Tag.MAP, tuples, style));
        }
    }

    private static List<Node> backendRefs(Node doc, int rule) {
        return items(child(items(child(doc, "spec").flatMap(s -> child(s, "rules"))).get(rule), "backendRefs"));
    }

    private static List<Node> items(Optional<Node> node) {
        return node.filter(SequenceNode.class::isInstance).map(n -> ((SequenceNode) n).getValue()).orElse(List.of());
    }
}
