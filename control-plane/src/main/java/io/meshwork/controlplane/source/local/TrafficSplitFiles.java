package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.YamlNodes.child;
import static io.meshwork.controlplane.source.local.YamlNodes.compose;
import static io.meshwork.controlplane.source.local.YamlNodes.intScalar;
import static io.meshwork.controlplane.source.local.YamlNodes.isKey;
import static io.meshwork.controlplane.source.local.YamlNodes.mapping;
import static io.meshwork.controlplane.source.local.YamlNodes.plain;
import static io.meshwork.controlplane.source.local.YamlNodes.put;
import static io.meshwork.controlplane.source.local.YamlNodes.scalar;
import static io.meshwork.controlplane.source.local.YamlNodes.scalarValue;
import static io.meshwork.controlplane.source.local.YamlNodes.serialize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads and rewrites the weights that split a service's traffic in a local config folder, editing the YAML
 * node tree of the one document concerned so that the rest of the file (other documents, key order,
 * comments) stays as the user wrote it. Files are replaced atomically, so the control plane's watcher never
 * sees half a file.
 *
 * <p>The weights are those of the service's producer {@link HttpRouteWeights HTTPRoute (or GRPCRoute)}'s rule
 * without matches when such a route routes the service (it overrides the TrafficSplit, as translation does), else
 * those of its default TrafficSplit (the one without matches).
 */
public final class TrafficSplitFiles {

    /**
     * Where a root service's weights live, the weights and the canary status note (null when there is none),
     * as read together.
     *
     * @param kind {@code TrafficSplit}, {@code HTTPRoute} or {@code GRPCRoute}
     * @param ruleIndex the route's rule whose backendRefs are the weights; -1 for a TrafficSplit
     */
    public record Location(Path file, int documentIndex, String kind, String namespace, String name, int ruleIndex,
            Map<String, Long> weights, String status) {

        /** {@code TrafficSplit shop/reviews}, {@code HTTPRoute shop/reviews}. */
        public String title() {
            return kind + " " + namespace + "/" + name;
        }
    }

    public static final String STATUS_ANNOTATION = "meshwork.io/canary-status";

    private final Path configDir;

    public TrafficSplitFiles(Path configDir) {
        this.configDir = configDir;
    }

    /**
     * The weights of {@code namespace/service}: its producer HTTPRoute's rule without matches, else its producer
     * GRPCRoute's, else its default TrafficSplit, if the folder has one. A route that routes the service without
     * such a rule, or two of them, are refused in one line: the weights to change would be a guess.
     */
    public Optional<Location> find(String namespace, String service) throws IOException {
        Map<String, List<Location>> routes = new LinkedHashMap<>();
        Map<String, List<String>> routesWithoutDefault = new LinkedHashMap<>();
        HttpRouteWeights.KINDS.forEach(kind -> {
            routes.put(kind, new ArrayList<>());
            routesWithoutDefault.put(kind, new ArrayList<>());
        });
        Location split = null;
        for (Path file : yamlFiles()) {
            List<Node> documents = compose(file);
            for (int i = 0; i < documents.size(); i++) {
                Node doc = documents.get(i);
                String where = file.getFileName() + " doc " + (i + 1) + " (line "
                        + doc.getStartMark().map(m -> m.getLine() + 1).orElse(0) + "): ";
                Optional<String> routeKind = HttpRouteWeights.KINDS.stream()
                        .filter(kind -> HttpRouteWeights.routes(doc, kind, namespace, service)).findFirst();
                if (routeKind.isPresent()) {
                    String kind = routeKind.get();
                    String name = scalar(doc, "metadata", "name").orElse(service);
                    int rule = HttpRouteWeights.defaultRule(doc);
                    if (rule < 0) {
                        routesWithoutDefault.get(kind).add(name);
                        continue;
                    }
                    Map<String, Long> weights = weights(where, kind + " " + namespace + "/" + name,
                            () -> HttpRouteWeights.weightsOf(doc, rule, namespace));
                    routes.get(kind).add(new Location(file, i, kind, namespace, name, rule, weights, statusOf(doc).orElse(null)));
                } else if (split == null && isDefaultSplitOf(doc, namespace, service)) {
                    String name = scalar(doc, "metadata", "name").orElse(service);
                    Map<String, Long> weights = weights(where, "TrafficSplit " + namespace + "/" + name, () -> weightsOf(doc));
                    split = new Location(file, i, "TrafficSplit", namespace, name, -1, weights, statusOf(doc).orElse(null));
                }
            }
        }
        // An HTTPRoute on the service overrides a GRPCRoute, and either overrides the TrafficSplit, as translation does.
        for (String kind : HttpRouteWeights.KINDS) {
            List<Location> found = routes.get(kind);
            requireOneRoute(kind, found.stream().map(Location::name).toList(), routesWithoutDefault.get(kind), namespace,
                    service);
            if (!found.isEmpty()) {
                return Optional.of(found.get(0));
            }
        }
        return Optional.ofNullable(split);
    }

    /**
     * Refuses, in one line, the producer routes of {@code kind} that leave the weights to change a guess: two with a
     * rule without matches ({@code withDefault}), or only routes without such a rule ({@code withoutDefault}). A folder
     * and a cluster ({@code canary.kubernetes.ClusterSplitControl}) choose alike.
     */
    public static void requireOneRoute(String kind, List<String> withDefault, List<String> withoutDefault, String namespace,
                                       String service) {
        if (withDefault.size() > 1) {
            throw new IllegalArgumentException(kind + "s " + withDefault + " in namespace " + namespace
                    + " each have a rule without matches for service " + service
                    + ": which weights to change is ambiguous; keep one such rule");
        }
        if (withDefault.isEmpty() && !withoutDefault.isEmpty()) {
            throw new IllegalArgumentException(kind + " " + namespace + "/" + withoutDefault.get(0) + " routes service "
                    + service + " (so its TrafficSplit does not apply) but has no rule without matches whose backendRefs "
                    + "could be weighed; add one (spec.rules[].backendRefs with no matches)");
        }
    }

    private interface WeightsReader {
        Map<String, Long> read();
    }

    /** The weights {@code reader} gives; its refusal as one line, as analyze says it: file, document, object, field. */
    private static Map<String, Long> weights(String where, String title, WeightsReader reader) throws IOException {
        try {
            return reader.read();
        } catch (IllegalArgumentException e) {
            throw new IOException(where + title + ": " + e.getMessage());
        }
    }

    private static Optional<String> statusOf(Node doc) {
        return child(doc, "metadata").flatMap(m -> child(m, "annotations")).flatMap(a -> scalarValue(a, STATUS_ANNOTATION));
    }

    /**
     * The text of {@code location}'s file with the given backends' weights replaced (others keep
     * theirs, new backends are appended) and, when {@code status} is not null, the status annotation
     * set. Nothing is written.
     */
    public String rewrite(Location location, Map<String, Long> weights, String status) throws IOException {
        return rewrite(location, weights, status != null, status);
    }

    /**
     * As {@link #rewrite(Location, Map, String)}, but the status note is what the split carries
     * afterwards: {@code status} null removes it.
     */
    public String rewriteWithStatus(Location location, Map<String, Long> weights, String status) throws IOException {
        return rewrite(location, weights, true, status);
    }

    private String rewrite(Location location, Map<String, Long> weights, boolean setStatus, String status)
            throws IOException {
        List<Node> documents = compose(location.file());
        Node doc = documents.get(location.documentIndex());
        if (location.ruleIndex() >= 0) {
            HttpRouteWeights.rewrite(doc, location.ruleIndex(), weights);
        } else {
            rewriteSplit(doc, weights);
        }
        if (setStatus && status == null) {
            if (child(doc, "metadata").orElse(null) instanceof MappingNode metadata
                    && child(metadata, "annotations").orElse(null) instanceof MappingNode annotations) {
                annotations.getValue().removeIf(t -> isKey(t, STATUS_ANNOTATION));
                if (annotations.getValue().isEmpty()) {
                    metadata.getValue().removeIf(t -> isKey(t, "annotations"));
                }
            }
        } else if (setStatus) {
            MappingNode metadata = (MappingNode) child(doc, "metadata").orElseThrow();
            MappingNode annotations = (MappingNode) child(metadata, "annotations").orElseGet(() -> {
                MappingNode created = mapping(new ArrayList<>());
                put(metadata, "annotations", created);
                return created;
            });
            ScalarNode value = new ScalarNode(Tag.STR, status, ScalarStyle.DOUBLE_QUOTED);
            put(annotations, STATUS_ANNOTATION, value);
        }
        return serialize(documents);
    }

    private static void rewriteSplit(Node doc, Map<String, Long> weights) {
        MappingNode spec = (MappingNode) child(doc, "spec").orElseThrow();
        Map<String, Long> merged = new LinkedHashMap<>(weightsOf(doc));
        merged.putAll(weights);
        List<Node> backends = new ArrayList<>();
        merged.forEach((backend, weight) -> backends.add(mapping(List.of(
                new NodeTuple(plain("service"), plain(backend)),
                new NodeTuple(plain("weight"), intScalar(weight))))));
        put(spec, "backends", new SequenceNode(Tag.SEQ, backends, FlowStyle.BLOCK));
    }

    /** Writes {@code text} over {@code file} atomically (temporary file in the same folder, then rename). */
    public static void replaceAtomically(Path file, String text) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private List<Path> yamlFiles() throws IOException {
        if (!Files.isDirectory(configDir)) {
            throw new IOException("config dir " + configDir + " does not exist or is not a folder");
        }
        try (Stream<Path> files = Files.list(configDir)) {
            return files.filter(f -> {
                String n = f.getFileName().toString();
                return (n.endsWith(".yaml") || n.endsWith(".yml")) && !n.startsWith(".");
            }).sorted().toList();
        }
    }

    private static boolean isDefaultSplitOf(Node doc, String namespace, String service) {
        return scalar(doc, "kind").filter("TrafficSplit"::equals).isPresent()
                && scalar(doc, "metadata", "namespace").orElse("default").equals(namespace)
                && scalar(doc, "spec", "service").filter(service::equals).isPresent()
                && child(doc, "spec").flatMap(s -> child(s, "matches"))
                        .map(m -> !(m instanceof SequenceNode seq) || seq.getValue().isEmpty())
                        .orElse(true);
    }

    /**
     * The backends' weights as {@link TrafficSplitParser} reads them: integers as written while every weight is a
     * YAML integer, else all of them as Quantities in milli-units ({@code 500m} and {@code "1"} are 500 and 1000).
     */
    private static Map<String, Long> weightsOf(Node doc) {
        Map<String, Long> weights = new LinkedHashMap<>();
        child(doc, "spec").flatMap(s -> child(s, "backends")).ifPresent(backends -> {
            if (backends instanceof SequenceNode seq) {
                boolean quantities = seq.getValue().stream().map(b -> child(b, "weight"))
                        .anyMatch(w -> w.isPresent() && !(w.get() instanceof ScalarNode n && Tag.INT.equals(n.getTag())));
                for (int i = 0; i < seq.getValue().size(); i++) {
                    Node backend = seq.getValue().get(i);
                    Optional<String> service = scalarValue(backend, "service");
                    Optional<String> weight = scalarValue(backend, "weight");
                    if (service.isPresent()) {
                        String field = "spec.backends[" + i + "].weight";
                        weights.put(service.get(), weight.map(w -> parseWeight(w, quantities, field)).orElse(0L));
                    }
                }
            }
        });
        return weights;
    }

    /** One weight (see {@link #weightsOf}); anything else is refused naming {@code field}: shown as 0 it would read as a backend taking no traffic. */
    static long parseWeight(String text, boolean quantity, String field) {
        String t = text.strip();
        if (quantity) {
            return QuantityWeight.toMilli(t).orElseThrow(() -> new IllegalArgumentException(field + ": \"" + t
                    + "\" is neither a whole number nor a Quantity of whole milli-units such as 500m"));
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": \"" + t + "\" is not a whole number");
        }
    }
}
