package io.meshwork.injector;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.zjsonpatch.JsonPatch;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

class JsonPatchBuilderTest {

    @Test
    void escapesTildeBeforeSlash() {
        assertThat(JsonPatchBuilder.escape("a~b/c")).isEqualTo("a~0b~1c");
        assertThat(JsonPatchBuilder.escape("~1")).isEqualTo("~01");
    }

    @Test
    void keysWithTildeAndSlashRoundTripThroughAnIndependentPatcher() {
        ObjectNode pod = (ObjectNode) YamlDocuments.JSON.readTree("{\"metadata\":{\"annotations\":{}}}");
        JsonPatchBuilder patch = new JsonPatchBuilder(pod);

        patch.putInObject("/metadata/annotations", "example.com/owner~team", StringNode.valueOf("x"));

        assertThat(patch.operations().get(0).path("path").asString())
                .isEqualTo("/metadata/annotations/example.com~1owner~0team");
        assertThat(JsonPatch.apply(patch.operations(), pod)).isEqualTo(patch.document());
    }

    @Test
    void firstElementOfAMissingArrayCreatesItAndTheNextAppends() {
        ObjectNode pod = (ObjectNode) YamlDocuments.JSON.readTree("{\"spec\":{}}");
        JsonPatchBuilder patch = new JsonPatchBuilder(pod);

        patch.insertInArray("/spec/volumes", -1, StringNode.valueOf("a"));
        patch.insertInArray("/spec/volumes", -1, StringNode.valueOf("b"));
        patch.insertInArray("/spec/volumes", 0, StringNode.valueOf("first"));

        assertThat(patch.operations().toString()).isEqualTo("[{\"op\":\"add\",\"path\":\"/spec/volumes\",\"value\":[\"a\"]},"
                + "{\"op\":\"add\",\"path\":\"/spec/volumes/-\",\"value\":\"b\"},"
                + "{\"op\":\"add\",\"path\":\"/spec/volumes/0\",\"value\":\"first\"}]");
        assertThat(JsonPatch.apply(patch.operations(), pod).toString())
                .isEqualTo("{\"spec\":{\"volumes\":[\"first\",\"a\",\"b\"]}}");
        assertThat(pod.toString()).isEqualTo("{\"spec\":{}}");
    }
}
