package io.meshwork.injector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Multi-document YAML to JSON trees and back (snakeyaml-engine for YAML, Jackson for the trees). */
public final class YamlDocuments {

    static final ObjectMapper JSON = JsonMapper.builder().build();

    private YamlDocuments() {
    }

    /** Every non-empty document of the text, in order; {@code source} names the text in errors. */
    public static List<JsonNode> read(String yaml, String source) {
        List<JsonNode> documents = new ArrayList<>();
        try {
            int index = 0;
            for (Object document : new Load(LoadSettings.builder().setLabel(source).build()).loadAllFromString(yaml)) {
                index++;
                if (document == null) {
                    continue;
                }
                if (!(document instanceof Map)) {
                    throw new IllegalArgumentException(source + ": document " + index + " is not a YAML mapping");
                }
                documents.add(JSON.valueToTree(document));
            }
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage(), e);
        }
        return documents;
    }

    /** Writes the documents as YAML separated by {@code ---}, block style, as kubectl prints them. */
    public static String write(List<? extends JsonNode> documents) {
        StringBuilder out = new StringBuilder();
        for (JsonNode document : documents) {
            out.append("---\n").append(writeOne(document));
        }
        return out.toString();
    }

    /** One document, without a separator. */
    public static String writeOne(JsonNode document) {
        Dump dump = new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setIndent(2)
                .setIndicatorIndent(0).build());
        return dump.dumpToString(JSON.convertValue(document, Object.class));
    }

    static Map<String, Object> readSingleMap(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<JsonNode> documents = read(text, file.toString());
        if (documents.isEmpty()) {
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.convertValue(documents.get(0), Map.class);
        return map;
    }
}
