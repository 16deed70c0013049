package io.meshwork.controlplane.source.kubernetes;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One version's {@code openAPIV3Schema}, doing what the API server does with it, for the part of
 * OpenAPI our CRDs use (type, properties, additionalProperties, items, required, enum, minimum and
 * maximum, the length and item counts, pattern, default, x-kubernetes-int-or-string,
 * x-kubernetes-preserve-unknown-fields, x-kubernetes-list-type map): the rules that make a schema
 * structural, validation of a written object (strict, as kubectl's default field validation: an
 * unknown field is an error) and pruning (an unknown field is dropped, as when storing or serving).
 */
final class StructuralSchema {

    private static final Set<String> KEYWORDS = Set.of("type", "description", "properties", "required", "items",
            "additionalProperties", "enum", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems",
            "pattern", "format", "default", "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-list-type", "x-kubernetes-list-map-keys");
    private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean");
    /** Kept at the root whatever the schema says (metadata has its own, fixed schema). */
    private static final Set<String> ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");

    private final JsonNode root;

    StructuralSchema(JsonNode root) {
        this.root = root;
    }

    /** Why the API server would refuse this as a CRD version's schema, one line each ("spec.x: ..."); empty when it is structural. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!"object".equals(root.path("type").asString(""))) {
            problems.add("(root): type must be object");
        }
        checkNode(root, "", problems);
        return problems;
    }

    /** Why the API server would refuse {@code object} written at this version, one line each; empty when it accepts it. */
    List<String> violations(JsonNode object) {
        List<String> violations = new ArrayList<>();
        validate(object, root, "", violations);
        return violations;
    }

    /** {@code object} as the API server keeps it at this version: fields the schema does not know are dropped. */
    JsonNode pruned(JsonNode object) {
        JsonNode copy = object.deepCopy();
        prune(copy, root, true);
        return copy;
    }

    private static void checkNode(JsonNode node, String path, List<String> problems) {
        String at = path.isEmpty() ? "(root)" : path;
        for (String keyword : node.propertyNames()) {
            if (!KEYWORDS.contains(keyword)) {
                problems.add(at + ": unknown keyword " + keyword);
            }
        }
        boolean intOrString = node.path("x-kubernetes-int-or-string").asBoolean(false);
        boolean preserve = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        String type = node.path("type").asString("");
        if (intOrString && !type.isEmpty()) {
            problems.add(at + ": x-kubernetes-int-or-string must have no type");
        } else if (type.isEmpty() && !intOrString && !preserve) {
            problems.add(at + ": type is required");
        } else if (!type.isEmpty() && !TYPES.contains(type)) {
            problems.add(at + ": type " + type + " is not an OpenAPI type");
        }
        if (node.has("properties") && !type.equals("object")) {
            problems.add(at + ": properties need type object");
        }
        if (node.has("additionalProperties") && (!type.equals("object") || node.has("properties"))) {
            problems.add(at + ": additionalProperties need type object and no properties");
        }
        if (type.equals("array") != node.has("items")) {
            problems.add(at + ": items go with type array, and an array needs them");
        }
        for (JsonNode name : node.path("required")) {
            if (!node.path("properties").has(name.asString())) {
                problems.add(at + ": required " + name.asString() + " is not among the properties");
            }
        }
        for (JsonNode value : node.path("enum")) {
            if (!type.isEmpty() && !hasType(value, type)) {
                problems.add(at + ": enum value " + value + " is not of type " + type);
            }
        }
        if (node.has("pattern")) {
            try {
                Pattern.compile(node.get("pattern").asString());
            } catch (PatternSyntaxException e) {
                problems.add(at + ": pattern does not compile: " + e.getDescription());
            }
        }
        if (node.has("default")) {
            List<String> invalid = new ArrayList<>();
            validate(node.get("default"), node, path, invalid);
            invalid.forEach(v -> problems.add(at + ": default is invalid: " + v));
        }
        if (node.has("x-kubernetes-list-map-keys")) {
            if (!"map".equals(node.path("x-kubernetes-list-type").asString(""))) {
                problems.add(at + ": x-kubernetes-list-map-keys need x-kubernetes-list-type map");
            }
            for (JsonNode key : node.get("x-kubernetes-list-map-keys")) {
                if (!contains(node.path("items").path("required"), key.asString())) {
                    problems.add(at + ": list map key " + key.asString() + " must be a required field of the items");
                }
            }
        }
        for (Map.Entry<String, JsonNode> property : node.path("properties").properties()) {
            checkNode(property.getValue(), join(path, property.getKey()), problems);
        }
        if (node.has("items")) {
            checkNode(node.get("items"), path + "[]", problems);
        }
        if (node.has("additionalProperties")) {
            checkNode(node.get("additionalProperties"), join(path, "*"), problems);
        }
    }

    private static void validate(JsonNode value, JsonNode schema, String path, List<String> violations) {
        String at = path.isEmpty() ? "(root)" : path;
        if (value.isNull()) {
            violations.add(at + ": must not be null");
            return;
        }
        String type = schema.path("type").asString("");
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!value.isIntegralNumber() && !value.isString()) {
                violations.add(at + ": must be an integer or a string, not " + value);
                return;
            }
        } else if (!type.isEmpty() && !hasType(value, type)) {
            violations.add(at + ": must be " + article(type) + ", not " + value);
            return;
        }
        if (schema.has("enum") && !contains(schema.get("enum"), value)) {
            violations.add(at + ": " + value + " is not one of " + schema.get("enum"));
        }
        if (value.isNumber()) {
            BigDecimal number = value.decimalValue();
            if (schema.has("minimum") && number.compareTo(schema.get("minimum").decimalValue()) < 0) {
                violations.add(at + ": must be at least " + schema.get("minimum") + ", not " + value);
            }
            if (schema.has("maximum") && number.compareTo(schema.get("maximum").decimalValue()) > 0) {
                violations.add(at + ": must be at most " + schema.get("maximum") + ", not " + value);
            }
        }
        if (value.isString()) {
            String text = value.asString();
            if (schema.has("minLength") && text.length() < schema.get("minLength").asInt()) {
                violations.add(at + ": must have at least " + schema.get("minLength") + " characters");
            }
            if (schema.has("maxLength") && text.length() > schema.get("maxLength").asInt()) {
                violations.add(at + ": must have at most " + schema.get("maxLength") + " characters");
            }
            if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asString()).matcher(text).find()) {
                violations.add(at + ": " + value + " does not match " + schema.get("pattern").asString());
            }
        }
        if (value.isArray()) {
            if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
                violations.add(at + ": must have at least " + schema.get("minItems") + " items");
            }
            if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
                violations.add(at + ": must have at most " + schema.get("maxItems") + " items");
            }
            Set<String> keys = new HashSet<>();
            for (int i = 0; i < value.size(); i++) {
                if (schema.has("items")) {
                    validate(value.get(i), schema.get("items"), path + "[" + i + "]", violations);
                }
                if (schema.has("x-kubernetes-list-map-keys")) {
                    String key = schema.get("x-kubernetes-list-map-keys").values().stream()
                            .map(k -> String.valueOf(value.get(k.asString()))).toList().toString();
                    if (!keys.add(key)) {
                        violations.add(at + "[" + i + "]: duplicate entry for key " + key);
                    }
                }
            }
        }
        if (value.isObject()) {
            for (JsonNode name : schema.path("required")) {
                if (!value.has(name.asString()) || value.get(name.asString()).isNull()) {
                    violations.add(join(path, name.asString()) + ": is required");
                }
            }
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                String fieldPath = join(path, field.getKey());
                JsonNode fieldSchema = schema.path("properties").get(field.getKey());
                if (fieldSchema == null) {
                    fieldSchema = schema.get("additionalProperties");
                }
                if (fieldSchema != null) {
                    validate(field.getValue(), fieldSchema, fieldPath, violations);
                } else if (!(path.isEmpty() && ROOT_FIELDS.contains(field.getKey()))
                        && !schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                    violations.add(fieldPath + ": unknown field");
                }
            }
        }
    }

    /**
     * As the API server's pruning: below a schema that preserves unknown fields nothing is dropped but
     * known fields are still pruned; a mapping without a schema (an item of a list where the schema has a
     * mapping) loses every field.
     */
    private static void prune(JsonNode value, JsonNode schema, boolean root) {
        boolean preserve = schema != null && schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (value instanceof ObjectNode object) {
            List<String> names = new ArrayList<>(object.propertyNames());
            for (String name : names) {
                JsonNode fieldSchema = schema == null ? null : schema.path("properties").get(name);
                if (fieldSchema == null && schema != null) {
                    fieldSchema = schema.get("additionalProperties");
                }
                if (fieldSchema != null) {
                    prune(object.get(name), fieldSchema, false);
                } else if (!preserve && !(root && ROOT_FIELDS.contains(name))) {
                    object.remove(name);
                }
            }
        } else if (value.isArray()) {
            JsonNode items = schema == null ? null : schema.get("items");
            if (items != null || !preserve) {
                value.values().forEach(item -> prune(item, items, false));
            }
        }
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isString();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            default -> false;
        };
    }

    private static String article(String type) {
        return switch (type) {
            case "object" -> "a mapping";
            case "array" -> "a list";
            case "integer" -> "an integer";
            default -> "a " + type;
        };
    }

    private static boolean contains(JsonNode array, Object wanted) {
        for (JsonNode element : array) {
            if (wanted instanceof JsonNode node ? element.equals(node) : element.asString().equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
