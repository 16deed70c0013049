package io.meshwork.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.zjsonpatch.JsonPatch;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code mesh inject} on a multi-document file, checked against what the webhook does to the same pods. */
class ManifestInjectorTest extends SharedWebhook {

    static List<JsonNode> input;
    static List<JsonNode> output;
    static final List<String> notes = new ArrayList<>();

    @BeforeAll
    static void injectTheFile() throws Exception {
        String yaml;
        try (InputStream in = ManifestInjectorTest.class.getResourceAsStream("/workloads.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        input = YamlDocuments.read(yaml, "workloads.yaml");
        String injected = new ManifestInjector(new SidecarInjector(new InjectionTemplate(InjectorConfig.defaults())))
                .inject(yaml, "workloads.yaml", notes);
        output = YamlDocuments.read(injected, "mesh inject output");
    }

    @Test
    void everyDocumentComesOutInOrder() {
        assertThat(output).extracting(d -> d.path("kind").asString())
                .containsExactly("Service", "Deployment", "Pod", "CronJob", "DaemonSet", "ConfigMap");
    }

    @Test
    void podEqualsWhatTheWebhookMakesOfIt() throws Exception {
        JsonNode pod = input.get(2);

        JsonNode viaWebhook = JsonPatch.apply(WebhookServerTest.patchOf(webhook.review(pod, null)), pod);

        assertThat(output.get(2)).isEqualTo(viaWebhook);
    }

    @Test
    void deploymentTemplateEqualsWhatTheWebhookMakesOfItsPods() throws Exception {
        ObjectNode podFromTemplate = YamlDocuments.JSON.createObjectNode();
        podFromTemplate.put("apiVersion", "v1").put("kind", "Pod");
        podFromTemplate.set("metadata", input.get(1).at("/spec/template/metadata"));
        podFromTemplate.set("spec", input.get(1).at("/spec/template/spec"));

        JsonNode viaWebhook = JsonPatch.apply(WebhookServerTest.patchOf(webhook.review(podFromTemplate, null)),
                podFromTemplate);

        assertThat(output.get(1).at("/spec/template/spec")).isEqualTo(viaWebhook.get("spec"));
        assertThat(output.get(1).at("/spec/template/metadata")).isEqualTo(viaWebhook.get("metadata"));
        assertThat(output.get(1).at("/spec/replicas").asInt()).isEqualTo(2);
    }

    @Test
    void cronJobPodTemplateIsInjected() {
        JsonNode template = output.get(3).at("/spec/jobTemplate/spec/template");

        assertThat(names(template.at("/spec/initContainers"))).containsExactly("mesh-init", "mesh-proxy");
        assertThat(template.at("/metadata/annotations").has("meshwork.io/status")).isTrue();
    }

    @Test
    void otherKindsPassThroughUntouched() {
        assertThat(output.get(0)).isEqualTo(input.get(0));
        assertThat(output.get(5)).isEqualTo(input.get(5));
    }

    @Test
    void optedOutTemplateIsUntouchedAndSaidSo() {
        assertThat(output.get(4)).isEqualTo(input.get(4));
        assertThat(notes).anyMatch(n -> n.startsWith("DaemonSet shop/node-agent: not injected")
                && n.contains("meshwork.io/inject=false"));
    }

    @Test
    void injectingTheOutputAgainChangesNothing() {
        List<String> again = new ArrayList<>();
        String twice = new ManifestInjector(new SidecarInjector(new InjectionTemplate(InjectorConfig.defaults())))
                .inject(YamlDocuments.write(output), "once", again);

        assertThat(YamlDocuments.read(twice, "twice")).isEqualTo(output);
    }

    @Test
    void brokenYamlIsAnErrorNamingTheFile() {
        assertThatThrownBy(() -> new ManifestInjector(new SidecarInjector(new InjectionTemplate(
                InjectorConfig.defaults()))).inject("kind: Pod\n  bad: [", "app.yaml", new ArrayList<>()))
                .hasMessageStartingWith("app.yaml: not valid YAML");
    }

    private static List<String> names(JsonNode containers) {
        List<String> names = new ArrayList<>();
        containers.forEach(c -> names.add(c.path("name").asString()));
        return names;
    }
}
