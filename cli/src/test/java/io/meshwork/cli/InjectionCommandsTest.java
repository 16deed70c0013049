package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.injector.YamlDocuments;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The injection commands as a user runs them: {@code mesh inject}, {@code mesh install}, {@code mesh init-iptables}. */
class InjectionCommandsTest {

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - {name: web, image: nginx:1.27}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              ports: [{port: 80}]
            """;

    @TempDir
    Path dir;

    @Test
    void injectWritesTheInjectedFileWithTheNativeSidecarByDefault() throws Exception {
        Path in = Files.writeString(dir.resolve("web.yaml"), DEPLOYMENT);
        Path out = dir.resolve("web-injected.yaml");

        assertThat(Main.execute("inject", "-f", in.toString(), "-o", out.toString())).isZero();

        List<JsonNode> docs = YamlDocuments.read(Files.readString(out), "out");
        assertThat(names(docs.get(0).at("/spec/template/spec/initContainers"))).containsExactly("mesh-init", "mesh-proxy");
        assertThat(docs.get(1)).isEqualTo(YamlDocuments.read(DEPLOYMENT, "in").get(1));
    }

    @Test
    void injectForAnOlderClusterPutsTheSidecarFirstInContainers() throws Exception {
        Path in = Files.writeString(dir.resolve("web.yaml"), DEPLOYMENT);
        Path out = dir.resolve("web-injected.yaml");

        assertThat(Main.execute("inject", "-f", in.toString(), "-o", out.toString(), "--kubernetes-version", "1.28",
                "--hub", "registry.example", "--tag", "9.9")).isZero();

        JsonNode containers = YamlDocuments.read(Files.readString(out), "out").get(0).at("/spec/template/spec/containers");
        assertThat(names(containers)).containsExactly("mesh-proxy", "web");
        assertThat(containers.get(0).path("image").asString()).isEqualTo("registry.example/meshwork-proxy:9.9");
    }

    @Test
    void installWritesManifestsThatParse() throws Exception {
        Path out = dir.resolve("install.yaml");

        assertThat(Main.execute("install", "--revision", "blue", "-o", out.toString())).isZero();

        List<JsonNode> docs = YamlDocuments.read(Files.readString(out), "install.yaml");
        assertThat(docs).extracting(d -> d.path("kind").asString()).contains("Namespace", "MutatingWebhookConfiguration",
                "CustomResourceDefinition", "Deployment");
        assertThat(docs).extracting(d -> d.at("/metadata/name").asString()).contains("meshwork-webhook-blue");
    }

    @Test
    void initIptablesDryRunPrintsTheRulesWithoutApplyingThem() {
        String printed = stdout(() -> Main.execute("init-iptables", "--dry-run", "-d", "15021,15090",
                "-x", "10.96.0.1/32", "-o", "5432"));

        assertThat(printed).startsWith("*nat\n").endsWith("COMMIT\n")
                .contains("-A MESH_OUTPUT -d 10.96.0.1/32 -j RETURN", "-A MESH_OUTPUT -p tcp --dport 5432 -j RETURN",
                        "-A MESH_INBOUND -p tcp --dport 15021 -j RETURN");
    }

    @Test
    void webhookWithAMissingCertificateFailsWithOneLine() {
        int code = Main.execute("webhook", "--tls-cert", dir.resolve("nope.crt").toString(),
                "--tls-key", dir.resolve("nope.key").toString(), "--address", "127.0.0.1", "--port", "0");

        assertThat(code).isEqualTo(1);
    }

    private static String stdout(Runnable command) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            command.run();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static List<String> names(JsonNode containers) {
        List<String> names = new ArrayList<>();
        containers.forEach(c -> names.add(c.path("name").asString()));
        return names;
    }
}
