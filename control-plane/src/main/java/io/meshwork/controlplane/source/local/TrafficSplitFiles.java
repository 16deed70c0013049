package io.meshwork.controlplane.source.local;

import java.io.IOException;
import java.io.StringWriter;
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
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.StreamDataWriter;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Serialize;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.emitter.Emitter;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads and rewrites the weights of TrafficSplits in a local config folder, editing the YAML node
 * tree of the one document concerned so that the rest of the file (other documents, key order,
 * comments) stays as the user wrote it. Files are replaced atomically, so the control plane's
 * watcher never sees half a file.
 */
public final class TrafficSplitFiles {

    /**
     * Where a root service's default TrafficSplit (the one without matches) lives, its weights and its
     * canary status note (null when it has none), as read together.
     */
    public record Location(Path file, int documentIndex, String namespace, String name, Map<String, Long> weights,
            String status) {
    }

    public static final String STATUS_ANNOTATION = "meshwork.io/canary-status";

    private final Path configDir;

    public TrafficSplitFiles(Path configDir) {
        this.configDir = configDir;
    }

    /** The default TrafficSplit of {@code namespace/service}, if one exists in the folder. */
    public Optional<Location> find(String namespace, String service) throws IOException {
        for (Path file : yamlFiles()) {
            List<Node> documents = compose(file);
            for (int i = 0; i < documents.size(); i++) {
                Node doc = documents.get(i);
                if (isDefaultSplitOf(doc, namespace, service)) {
                    Map<String, Long> weights;
                    try {
                        weights = weightsOf(doc);
                    } catch (IllegalArgumentException e) {
                        // one line, as analyze says it: file, document, object, field
                        throw new IOException(file.getFileName() + " doc " + (i + 1) + " (line "
                                + (doc.getStartMark().map(m -> m.getLine() + 1).orElse(0)) + "): TrafficSplit " + namespace
                                + "/" + scalar(doc, "metadata", "name").orElse(service) + ": " + e.getMessage());
                    }
                    return Optional.of(new Location(file, i, namespace,
                            scalar(doc, "metadata", "name").orElse(service), weights, statusOf(doc).orElse(null)));
                }
            }
        }
        return Optional.empty();
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
        MappingNode spec = (MappingNode) child(doc, "spec").orElseThrow();
        Map<String, Long> merged = new LinkedHashMap<>(weightsOf(doc));
        merged.putAll(weights);
        List<Node> backends = new ArrayList<>();
        merged.forEach((backend, weight) -> backends.add(mapping(List.of(
                new NodeTuple(plain("service"), plain(backend)),
                new NodeTuple(plain("weight"), intScalar(weight))))));
        put(spec, "backends", new SequenceNode(Tag.SEQ, backends, FlowStyle.BLOCK));
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

    /** The file's YAML documents; a file that does not parse is refused in one line naming it, as analyze does. */
    private static List<Node> compose(Path file) throws IOException {
        LoadSettings settings = LoadSettings.builder().setParseComments(true).setLabel(file.getFileName().toString()).build();
        List<Node> documents = new ArrayList<>();
        try {
            new Compose(settings).composeAllFromString(Files.readString(file)).forEach(documents::add);
        } catch (org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException e) {
            int line = e.getProblemMark().or(e::getContextMark).map(m -> m.getLine() + 1).orElse(0);
            throw new IOException(file.getFileName() + " doc " + (documents.size() + 1) + " (line " + line
                    + "): not valid YAML: " + e.getProblem());
        } catch (org.snakeyaml.engine.v2.exceptions.YamlEngineException e) {
            throw new IOException(file.getFileName() + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        return documents;
    }

    private static String serialize(List<Node> documents) {
        DumpSettings settings = DumpSettings.builder()
                .setDumpComments(true)
                .setDefaultFlowStyle(FlowStyle.BLOCK)
                .setExplicitStart(documents.size() > 1)
                .setIndent(2)
                .setIndicatorIndent(2)
                .setIndentWithIndicator(true)
                .setWidth(120)
                .build();
        StringWriter out = new StringWriter();
        StreamDataWriter writer = new StreamDataWriter() {
            @Override
            public void write(String str) {
                out.write(str);
            }

            @Override
            public void write(String str, int off, int len) {
                out.write(str, off, len);
            }
        };
        Emitter emitter = new Emitter(settings, writer);
        Serialize serialize = new Serialize(settings);
        for (Event event : serialize.serializeAll(documents)) {
            emitter.emit(event);
        }
        return out.toString();
    }

    private static Optional<Node> child(Node node, String key) {
        if (!(node instanceof MappingNode mapping)) {
            return Optional.empty();
        }
        for (NodeTuple tuple : mapping.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                return Optional.of(tuple.getValueNode());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> scalarValue(Node node, String key) {
        return child(node, key).filter(ScalarNode.class::isInstance).map(n -> ((ScalarNode) n).getValue());
    }

    private static Optional<String> scalar(Node node, String... path) {
        Node current = node;
        for (int i = 0; i < path.length - 1; i++) {
            Optional<Node> next = child(current, path[i]);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            current = next.get();
        }
        return scalarValue(current, path[path.length - 1]);
    }

    private static boolean isKey(NodeTuple tuple, String key) {
        return tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key);
    }

    private static void put(MappingNode mapping, String key, Node value) {
        List<NodeTuple> tuples = mapping.getValue();
        for (int i = 0; i < tuples.size(); i++) {
            if (tuples.get(i).getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                tuples.set(i, new NodeTuple(tuples.get(i).getKeyNode(), value));
                return;
            }
        }
        tuples.add(new NodeTuple(plain(key), value));
    }

    private static MappingNode mapping(List<NodeTuple> tuples) {
        return new MappingNode(Tag.MAP, new ArrayList<>(tuples), FlowStyle.BLOCK);
    }

    private static ScalarNode plain(String value) {
        return new ScalarNode(Tag.STR, value, ScalarStyle.PLAIN);
    }

    private static ScalarNode intScalar(long value) {
        return new ScalarNode(Tag.INT, Long.toString(value), ScalarStyle.PLAIN);
    }
}
