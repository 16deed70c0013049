package io.meshwork.injector;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds an RFC 6902 JSON Patch while applying each operation to a working copy of the document,
 * so every later operation sees the earlier ones: the first element added to a missing array
 * creates the array, the next one appends.
 */
final class JsonPatchBuilder {

    private final ObjectNode document;
    private final ArrayNode operations = JsonNodeFactory.instance.arrayNode();

    /** Works on a deep copy: the caller's document is never changed. */
    JsonPatchBuilder(ObjectNode original) {
        this.document = original.deepCopy();
    }

    /** The document with every operation so far applied. */
    ObjectNode document() {
        return document;
    }

    ArrayNode operations() {
        return operations;
    }

    /** Sets {@code parent[key] = value}, creating the parent object when it is absent. */
    void putInObject(String parentPointer, String key, JsonNode value) {
        JsonNode parent = document.at(parentPointer);
        if (parent.isObject()) {
            ((ObjectNode) parent).set(key, value);
            add(parentPointer + "/" + escape(key), value);
        } else {
            ObjectNode created = JsonNodeFactory.instance.objectNode();
            created.set(key, value);
            addMember(parentPointer, created.deepCopy());
            add(parentPointer, created);
        }
    }

    /** Inserts {@code value} at {@code index} of an array (creating the array when absent); -1 appends. */
    void insertInArray(String arrayPointer, int index, JsonNode value) {
        JsonNode array = document.at(arrayPointer);
        if (array.isArray()) {
            ArrayNode existing = (ArrayNode) array;
            if (index < 0 || index >= existing.size()) {
                existing.add(value);
                add(arrayPointer + "/-", value);
            } else {
                existing.insert(index, value);
                add(arrayPointer + "/" + index, value);
            }
        } else {
            ArrayNode created = JsonNodeFactory.instance.arrayNode().add(value);
            addMember(arrayPointer, created.deepCopy());
            add(arrayPointer, created);
        }
    }

    /** Replaces the member at {@code pointer}, which must exist. */
    void replace(String pointer, JsonNode value) {
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = document.at(pointer.substring(0, slash));
        String last = unescape(pointer.substring(slash + 1));
        if (parent.isArray()) {
            ((ArrayNode) parent).set(Integer.parseInt(last), value);
        } else {
            ((ObjectNode) parent).set(last, value);
        }
        operations.addObject().put("op", "replace").put("path", pointer).set("value", value.deepCopy());
    }

    /** RFC 6901 escaping of one reference token: {@code ~} first, then {@code /}. */
    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    private static String unescape(String token) {
        return token.replace("~1", "/").replace("~0", "~");
    }

    private void add(String pointer, JsonNode value) {
        operations.addObject().put("op", "add").put("path", pointer).set("value", value.deepCopy());
    }

    private void addMember(String pointer, JsonNode value) {
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = document.at(pointer.substring(0, slash));
        if (!parent.isObject()) {
            throw new IllegalArgumentException("JSON patch: parent of " + pointer + " is not an object");
        }
        ((ObjectNode) parent).set(unescape(pointer.substring(slash + 1)), value);
    }
}
