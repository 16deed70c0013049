package io.meshwork.controlplane.source.local;

import java.util.ArrayList;
import java.util.List;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Splits one YAML file into its documents as node trees (which keep line numbers). A syntax error
 * anywhere fails the whole file: its documents are never used piecemeal.
 */
final class YamlDocuments {

    /** One non-empty document with its 1-based index in the file. */
    record Document(int index, Node root) {
    }

    /** The file is not valid YAML; {@code documentIndex} and {@code line} say where it broke. */
    static final class SyntaxError extends Exception {
        final int documentIndex;
        final int line;

        SyntaxError(int documentIndex, int line, String message) {
            super(message, null, false, false);
            this.documentIndex = documentIndex;
            this.line = line;
        }
    }

    private YamlDocuments() {
    }

    /** The file's documents, stopping at the document count and code points that {@code limits} allow. */
    static List<Document> read(String fileName, String text, ConfigInputLimits limits) throws SyntaxError {
        LoadSettings settings = limits.loadSettings(fileName);
        List<Document> documents = new ArrayList<>();
        int index = 0;
        try {
            for (Node root : new Compose(settings).composeAllFromString(text)) {
                index++;
                if (index > limits.maxDocuments()) {
                    throw new SyntaxError(index, 0, "more than " + limits.maxDocuments() + " documents; split the file");
                }
                if (!isEmpty(root)) {
                    documents.add(new Document(index, root));
                }
            }
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().or(e::getContextMark).map(m -> m.getLine() + 1).orElse(0);
            throw new SyntaxError(index + 1, line, "not valid YAML: " + e.getProblem());
        } catch (YamlEngineException e) {
            throw new SyntaxError(index + 1, 0, "not valid YAML: " + e.getMessage());
        }
        return documents;
    }

    /** A document holding nothing (a trailing {@code ---}, only comments) is skipped silently. */
    private static boolean isEmpty(Node root) {
        return root instanceof ScalarNode scalar && (Tag.NULL.equals(scalar.getTag()) || scalar.getValue().isBlank());
    }
}
