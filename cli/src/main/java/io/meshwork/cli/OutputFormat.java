package io.meshwork.cli;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/** {@code -o table|json|yaml} of the read commands: JSON and YAML carry the same fields, with stable names. */
enum OutputFormat {
    table, json, yaml;

    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final YAMLMapper YAML = YAMLMapper.builder().enable(YAMLWriteFeature.MINIMIZE_QUOTES).build();

    /** Prints {@code node} as JSON (indented) or YAML; not for {@link #table}. */
    void print(JsonNode node) {
        if (this == table) {
            throw new IllegalStateException("a table is printed by its command");
        }
        System.out.print(this == json ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n"
                : YAML.writeValueAsString(node));
        System.out.flush();
    }

    /** Prints a JSON document given as text. */
    void print(String jsonText) {
        print(JSON.readTree(jsonText));
    }
}
