package io.meshwork.controlplane.source.local;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A YAML file as a node tree with its comments, for edits that leave the rest of the file (other documents,
 * key order, comments) as the user wrote it: {@link TrafficSplitFiles} changes weights this way.
 */
final class YamlNodes {

    private YamlNodes() {
    }

    /** The file's YAML documents; a file that does not parse is refused in one line naming it, as analyze does. */
    static List<Node> compose(Path file) throws IOException {
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

    static String serialize(List<Node> documents) {
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

    static Optional<Node> child(Node node, String key) {
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

    static Optional<String> scalarValue(Node node, String key) {
        return child(node, key).filter(ScalarNode.class::isInstance).map(n -> ((ScalarNode) n).getValue());
    }

    static Optional<String> scalar(Node node, String... path) {
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

    static boolean isKey(NodeTuple tuple, String key) {
        return tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key);
    }

    static void put(MappingNode mapping, String key, Node value) {
        List<NodeTuple> tuples = mapping.getValue();
        for (int i = 0; i < tuples.size(); i++) {
            if (tuples.get(i).getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                tuples.set(i, new NodeTuple(tuples.get(i).getKeyNode(), value));
                return;
            }
        }
        tuples.add(new NodeTuple(plain(key), value));
    }

    static MappingNode mapping(List<NodeTuple> tuples) {
        return new MappingNode(Tag.MAP, new ArrayList<>(tuples), FlowStyle.BLOCK);
    }

    static ScalarNode plain(String value) {
        return new ScalarNode(Tag.STR, value, ScalarStyle.PLAIN);
    }

    static ScalarNode intScalar(long value) {
        return new ScalarNode(Tag.INT, Long.toString(value), ScalarStyle.PLAIN);
    }
}
