package io.meshwork.controlplane.source.local;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A YAML mapping read field by field, remembering its path ({@code spec.ports[1]}) and the line of
 * each value, so that every error names the field and line. Null values count as absent.
 */
final class YamlObject {

    private final String path;
    private final int line;
    private final Map<String, Node> fields = new LinkedHashMap<>();
    private final Map<String, Integer> lines;
    private final List<YamlObject> visited;
    private final Set<String> read = new HashSet<>();

    /** A field present in the YAML that no parser asked for: most often a typo. */
    record UnknownField(String path, int line) {
        /** The path with list indices left out ({@code spec.ports[].nodePort}), for lists of known fields. */
        String pattern() {
            return path.replaceAll("\\[\\d+]", "[]");
        }
    }

    private YamlObject(String path, MappingNode node, Map<String, Integer> lines, List<YamlObject> visited) {
        this.path = path;
        this.line = lineOf(node);
        this.lines = lines;
        this.visited = visited;
        visited.add(this);
        lines.put(path, line);
        for (NodeTuple tuple : node.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                throw new InvalidFieldException(path, lineOf(tuple.getKeyNode()), "keys must be plain strings");
            }
            if (fields.put(key.getValue(), tuple.getValueNode()) != null) {
                throw new InvalidFieldException(join(path, key.getValue()), lineOf(key), "key appears twice");
            }
            lines.put(join(path, key.getValue()), lineOf(tuple.getValueNode()));
        }
    }

    /** The top of a document, which must be a mapping. */
    static YamlObject document(Node node) {
        if (!(node instanceof MappingNode mapping)) {
            throw new InvalidFieldException("", lineOf(node), "a document must be a mapping with apiVersion, kind and metadata");
        }
        return new YamlObject("", mapping, new java.util.HashMap<>(), new ArrayList<>());
    }

    static int lineOf(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    int line() {
        return line;
    }

    /**
     * The line of every field read so far in this document, by path ({@code spec.backends[1].service}),
     * so that checks made after parsing can still point at the field.
     */
    Map<String, Integer> lines() {
        return java.util.Collections.unmodifiableMap(lines);
    }

    /** The dotted path of {@code key} under this object. */
    String path(String key) {
        return join(path, key);
    }

    boolean has(String key) {
        return value(key).isPresent();
    }

    /** An error about {@code key}, at the line of its value (or of this object when absent). */
    InvalidFieldException error(String key, String message) {
        return new InvalidFieldException(path(key), value(key).map(YamlObject::lineOf).orElse(line), message);
    }

    Optional<String> optionalString(String key) {
        return value(key).map(node -> scalar(key, node).getValue());
    }

    String requiredString(String key) {
        String text = optionalString(key).orElseThrow(() -> error(key, "is required"));
        if (text.isEmpty()) {
            throw error(key, "must not be empty");
        }
        return text;
    }

    Optional<Integer> optionalInt(String key) {
        return value(key).map(node -> toInt(path(key), node));
    }

    int requiredInt(String key) {
        return optionalInt(key).orElseThrow(() -> error(key, "is required"));
    }

    /** A port number in 1..65535. */
    Optional<Integer> optionalPort(String key) {
        return value(key).map(node -> checkPort(path(key), node, toInt(path(key), node)));
    }

    /**
     * A duration written as Kubernetes and Go write them: one or more numbers with units {@code ms}, {@code s},
     * {@code m}, {@code h} ({@code 250ms}, {@code 2s}, {@code 1m30s}, {@code 1.5s}); whole milliseconds, not negative.
     */
    Optional<java.time.Duration> optionalDuration(String key) {
        return value(key).map(node -> {
            try {
                return io.meshwork.controlplane.model.Durations.parseWithUnits(scalar(key, node).getValue());
            } catch (IllegalArgumentException e) {
                throw error(key, e.getMessage());
            }
        });
    }

    Optional<Boolean> optionalBool(String key) {
        return value(key).map(node -> {
            ScalarNode scalar = scalar(key, node);
            if (!Tag.BOOL.equals(scalar.getTag())) {
                throw error(key, "must be true or false, not \"" + scalar.getValue() + "\"");
            }
            return Boolean.parseBoolean(scalar.getValue().toLowerCase(java.util.Locale.ROOT));
        });
    }

    /** The scalar's text whatever its type (for fields that may be a number or a name). */
    Optional<ScalarNode> optionalScalar(String key) {
        return value(key).map(node -> scalar(key, node));
    }

    Optional<YamlObject> optionalObject(String key) {
        return value(key).map(node -> {
            if (!(node instanceof MappingNode mapping)) {
                throw error(key, "must be a mapping");
            }
            return new YamlObject(path(key), mapping, lines, visited);
        });
    }

    YamlObject requiredObject(String key) {
        return optionalObject(key).orElseThrow(() -> error(key, "is required"));
    }

    /** A list of mappings; absent means empty. */
    List<YamlObject> objectList(String key) {
        List<YamlObject> result = new ArrayList<>();
        List<Node> items = sequence(key);
        for (int i = 0; i < items.size(); i++) {
            String itemPath = path(key) + "[" + i + "]";
            if (!(items.get(i) instanceof MappingNode mapping)) {
                throw new InvalidFieldException(itemPath, lineOf(items.get(i)), "must be a mapping");
            }
            result.add(new YamlObject(itemPath, mapping, lines, visited));
        }
        return result;
    }

    /** A list of scalars as text; absent means empty. */
    List<String> stringList(String key) {
        List<String> result = new ArrayList<>();
        List<Node> items = sequence(key);
        for (int i = 0; i < items.size(); i++) {
            result.add(scalarAt(path(key) + "[" + i + "]", items.get(i)).getValue());
        }
        return result;
    }

    boolean isList(String key) {
        return value(key).filter(SequenceNode.class::isInstance).isPresent();
    }

    /** The raw list items (for fields accepted in more than one shape); absent means empty. */
    List<Node> sequence(String key) {
        Optional<Node> node = value(key);
        if (node.isEmpty()) {
            return List.of();
        }
        if (!(node.get() instanceof SequenceNode sequence)) {
            throw error(key, "must be a list");
        }
        return sequence.getValue();
    }

    /** A mapping of names to strings (labels, selectors); absent means empty. Sorted by key. */
    Map<String, String> stringMap(String key) {
        Map<String, String> result = new TreeMap<>();
        optionalObject(key).ifPresent(map -> map.fields().forEach((name, node) ->
                result.put(name, scalarAt(map.path(name), node).getValue())));
        return result;
    }

    /** A mapping of names to port numbers (1..65535); absent means empty. Sorted by key. */
    Map<String, Integer> portMap(String key) {
        Map<String, Integer> result = new TreeMap<>();
        optionalObject(key).ifPresent(map -> map.fields().forEach((name, node) -> {
            String fieldPath = map.path(name);
            result.put(name, checkPort(fieldPath, node, toInt(fieldPath, node)));
        }));
        return result;
    }

    /** The fields of this mapping in document order, with null values left out; all count as read. */
    Map<String, Node> fields() {
        read.addAll(fields.keySet());
        Map<String, Node> result = new LinkedHashMap<>();
        fields.forEach((k, v) -> {
            if (!isNull(v)) {
                result.put(k, v);
            }
        });
        return result;
    }

    static ScalarNode scalarAt(String fieldPath, Node node) {
        if (!(node instanceof ScalarNode scalar) || isNull(node)) {
            throw new InvalidFieldException(fieldPath, lineOf(node), "must be a single value");
        }
        return scalar;
    }

    /**
     * The fields no parser read, in every mapping of this document read so far whose path passes
     * {@code checked} (mappings never read are not looked into).
     */
    List<UnknownField> unreadFields(java.util.function.Predicate<String> checked) {
        List<UnknownField> result = new ArrayList<>();
        for (YamlObject object : visited) {
            if (checked.test(object.path)) {
                object.fields.forEach((key, node) -> {
                    if (!object.read.contains(key)) {
                        result.add(new UnknownField(object.path(key), lineOf(node)));
                    }
                });
            }
        }
        return result;
    }

    private Optional<Node> value(String key) {
        read.add(key);
        Node node = fields.get(key);
        return node == null || isNull(node) ? Optional.empty() : Optional.of(node);
    }

    private ScalarNode scalar(String key, Node node) {
        return scalarAt(path(key), node);
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode scalar && Tag.NULL.equals(scalar.getTag());
    }

    private static int toInt(String fieldPath, Node node) {
        ScalarNode scalar = scalarAt(fieldPath, node);
        if (Tag.INT.equals(scalar.getTag())) {
            try {
                return Integer.parseInt(scalar.getValue());
            } catch (NumberFormatException e) {
                // fall through: hex, octal or too large
            }
        }
        throw new InvalidFieldException(fieldPath, lineOf(node), "must be an integer, not \"" + scalar.getValue() + "\"");
    }

    private static int checkPort(String fieldPath, Node node, int port) {
        if (port < 1 || port > 65535) {
            throw new InvalidFieldException(fieldPath, lineOf(node), "port " + port + " is not in 1..65535");
        }
        return port;
    }

    private static String join(String prefix, String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }
}
