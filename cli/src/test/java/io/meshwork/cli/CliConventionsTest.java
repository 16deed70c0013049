package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every command and subcommand of {@code mesh}, found by walking the real command tree (so a new one is
 * covered without being listed here): help in each form, and the one-line answers to bad input.
 */
class CliConventionsTest {

    /** Every command path below {@code mesh}, e.g. {@code [canary, promote]}. */
    static Stream<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.newCommandLine(), new ArrayList<>(), paths);
        return paths.stream();
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        for (var entry : command.getSubcommands().entrySet()) {
            List<String> sub = new ArrayList<>(path);
            sub.add(entry.getKey());
            into.add(sub);
            collect(entry.getValue(), sub, into);
        }
    }

    @Test
    void theTreeHoldsTheNestedCommands() {
        assertThat(commandPaths()).contains(List.of("canary", "promote"), List.of("canary", "abort"),
                List.of("split", "set"), List.of("certs", "intermediate"), List.of("token", "create"), List.of("completion"));
    }

    @ParameterizedTest(name = "mesh {0} --help")
    @MethodSource("commandPaths")
    void everyCommandAnswersHelpInEveryForm(List<String> path) {
        String usage = "Usage: mesh " + String.join(" ", path);
        for (String flag : List.of("--help", "-h")) {
            List<String> args = new ArrayList<>(path);
            args.add(flag);
            CliRun run = CliRun.run(args.toArray(String[]::new));
            assertThat(run.exitCode()).as("mesh %s", args).isZero();
            assertThat(run.out()).as("mesh %s", args).startsWith(usage);
        }
        List<String> help = new ArrayList<>(List.of("help"));
        help.addAll(path);
        CliRun viaHelp = CliRun.run(help.toArray(String[]::new));
        assertThat(viaHelp.exitCode()).as("mesh %s", help).isZero();
        assertThat(viaHelp.out()).as("mesh %s", help).startsWith(usage);
    }

    /** Every command path but the help commands, which take any word as the command to explain. */
    static Stream<List<String>> commandPathsBesidesHelp() {
        return commandPaths().filter(p -> !p.get(p.size() - 1).equals("help"));
    }

    @ParameterizedTest(name = "mesh {0} --version is refused")
    @MethodSource("commandPathsBesidesHelp")
    void versionIsAnOptionOfTheTopCommandOnly(List<String> path) {
        List<String> args = new ArrayList<>(path);
        args.add("--version");
        CliRun run = CliRun.run(args.toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(CliRun.run("--version").out()).isNotBlank();
    }

    @Test
    void helpOfAMissingSubcommandNamesWhatThereIs() {
        CliRun run = CliRun.run("help", "canary", "nope");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("error: 'mesh canary' has no command 'nope'; its commands: promote, status, abort");
    }

    @Test
    void aControlPlaneThatIsNoUrlIsRefusedNamingTheFlag() {
        CliRun run = CliRun.run("proxy-status", "--control-plane", "not-a-url");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().lines().findFirst().orElseThrow())
                .isEqualTo("error: Invalid value for option '--control-plane': 'not-a-url' is not an http:// URL with a host; "
                        + "expected one like http://127.0.0.1:15014");
        assertThat(run.err().lines()).hasSize(2).last().isEqualTo("see 'mesh proxy-status --help'");
    }

    @Test
    void anUnreachableControlPlaneSaysWhyInWords() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed;
        for (List<String> args : List.of(List.of("proxy-status", "--control-plane", url),
                List.of("proxy-config", "frontend-1", "--control-plane", url))) {
            CliRun run = CliRun.run(args.toArray(String[]::new));

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err().strip()).isEqualTo("error: cannot reach the control plane at " + url
                    + " (connection refused); is `mesh control-plane` running? (--control-plane URL)");
        }
        CliRun admin = CliRun.run("proxy-config", "frontend-1", "--admin", url);
        assertThat(admin.err().strip()).isEqualTo("error: cannot read the sidecar's config at " + url
                + "/config_summary (connection refused); check --admin");
    }

    @Test
    void aTypoGetsASuggestionAndFarOffWordsDoNot() {
        CliRun typo = CliRun.run("cannary");
        CliRun farOff = CliRun.run("proxy-status", "--colour");

        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.err()).contains("did you mean canary?").contains("see 'mesh --help'");
        assertThat(farOff.exitCode()).isEqualTo(2);
        assertThat(farOff.err()).doesNotContain("did you mean").contains("Unknown option: '--colour'");
    }

    @Test
    void completionScriptsCoverEveryTopLevelCommand() {
        for (String shell : List.of("bash", "zsh")) {
            CliRun run = CliRun.run("completion", shell);

            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).contains("complete -F").contains("canary").contains("proxy-config").contains("split");
        }
        assertThat(CliRun.run("completion", "fish").exitCode()).isEqualTo(2);
    }

    @Test
    void withoutAConfigFolderTheCommandsAskForOneRatherThanUseTheCheckout() {
        for (List<String> args : List.of(List.of("split", "get", "reviews"), List.of("canary", "status", "reviews"),
                List.of("analyze"))) {
            CliRun run = CliRun.run(args.toArray(String[]::new));

            assertThat(run.exitCode()).as("mesh %s", args).isEqualTo(1);
            assertThat(run.err().lines()).as("mesh %s", args).singleElement().asString()
                    .startsWith("error: --config-dir DIR: which");
        }
    }

    @Test
    void aRunningDemoIsWhereCommandsActWhenNoFolderIsGiven(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path config = java.nio.file.Files.createDirectories(dir.resolve("config"));
        java.nio.file.Files.writeString(config.resolve("split.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: reviews, namespace: default}
                spec: {ports: [{name: http, port: 9080}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: reviews-v1, namespace: default}
                spec: {ports: [{name: http, port: 9080}]}
                ---
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: reviews, namespace: default}
                spec: {service: reviews, backends: [{service: reviews-v1, weight: 100}]}
                """);
        String before = System.getProperty("meshwork.demo.context");
        System.setProperty("meshwork.demo.context", dir.resolve("demo-context").toString());
        try {
            DemoContext.write(config, java.net.URI.create("http://127.0.0.1:1"));
            CliRun run = CliRun.run("split", "get", "reviews");
            CliRun json = CliRun.run("split", "get", "reviews", "-o", "json");
            CliRun yaml = CliRun.run("canary", "status", "reviews", "-o", "yaml");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("reviews-v1");
            var node = OutputFormat.JSON.readTree(json.out());
            assertThat(node.path("trafficSplit").asString()).isEqualTo("default/reviews");
            assertThat(node.path("backends").get(0).path("weight").asLong()).isEqualTo(100);
            assertThat(yaml.out()).contains("trafficSplit: default/reviews").contains("state: Idle");
            assertThat(run.err()).contains("(using the running demo's --config-dir " + config.toAbsolutePath());
            DemoContext.remove();
            assertThat(DemoContext.read()).isEmpty();
        } finally {
            System.setProperty("meshwork.demo.context", before);
        }
    }

    @Test
    void aBrokenFileOrAWeightThatIsNoNumberIsOneLineNamingFileAndField(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        for (java.nio.file.Path f : java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("..", "samples", "local"))) {
            java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
        }
        java.nio.file.Path split = dir.resolve("traffic-split.yaml");
        String good = java.nio.file.Files.readString(split);
        java.nio.file.Files.writeString(split, good.replaceFirst("weight: 100", "weight: lots"));

        CliRun lots = CliRun.run("split", "get", "reviews", "--config-dir", dir.toString());

        assertThat(lots.exitCode()).isEqualTo(1);
        assertThat(lots.err().lines()).singleElement().asString().startsWith("error: traffic-split.yaml doc ")
                .contains("TrafficSplit default/reviews: spec.backends[0].weight: \"lots\" is neither a whole number nor a "
                        + "Quantity of whole milli-units such as 500m");

        java.nio.file.Files.writeString(split, good);
        java.nio.file.Files.writeString(dir.resolve("broken.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  bad: [\n");
        for (String command : List.of("get", "set")) {
            List<String> args = new java.util.ArrayList<>(List.of("split", command, "reviews"));
            if (command.equals("set")) {
                args.add("reviews-v1=50");
            }
            args.addAll(List.of("--config-dir", dir.toString()));
            CliRun broken = CliRun.run(args.toArray(String[]::new));

            assertThat(broken.exitCode()).as("split %s", command).isEqualTo(1);
            assertThat(broken.err().lines()).as("split %s", command).singleElement().asString()
                    .startsWith("error: broken.yaml doc 1 (line ").contains("not valid YAML");
        }
    }
}
