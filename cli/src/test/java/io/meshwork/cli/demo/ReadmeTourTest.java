package io.meshwork.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.cli.CliRun;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's tour, steps 2 to 5, run as written: the commands are read out of README.md's "A short tour" (so the
 * README cannot drift from what works), with only the placeholder {@code <frontend outbound port>} filled in, against
 * a running mesh that published itself as {@code mesh demo --keep-running} does, so the commands find it without
 * {@code --config-dir} or {@code --control-plane}. The promotion runs in the background while the next commands (status,
 * abort) run, as a second terminal would: the split → promote → abort sequence with three backends.
 */
class ReadmeTourTest {

    private static final Path README = Path.of("..", "README.md");
    private static final String PORT = "<frontend-outbound-port>";

    @TempDir
    Path work;

    @Test
    void theToursCommandsWorkAsWritten() throws Exception {
        List<List<String>> commands = tourCommands();
        assertThat(commands).extracting(c -> String.join(" ", c.subList(0, Math.min(3, c.size()))))
                .contains("curl -x http://127.0.0.1:" + PORT, "./mesh split get", "./mesh split set", "./mesh canary promote",
                        "./mesh canary status", "./mesh canary abort", "./mesh proxy-config frontend-1", "./mesh analyze");

        String contextBefore = System.getProperty("meshwork.demo.context");
        System.setProperty("meshwork.demo.context", work.resolve("demo-context").toString());
        try (SampleMesh sample = SampleMesh.start(work)) {
            sample.mesh().publishContext();
            int outbound = sample.mesh().sidecarOf("frontend").outboundPort();
            Process promotion = null;
            Path promotionLog = work.resolve("promote.log");
            for (List<String> command : commands) {
                List<String> args = command.stream()
                        .map(a -> a.replace(PORT, Integer.toString(outbound))).toList();
                if (args.get(0).equals("curl")) {
                    assertThat(curl(args)).as(String.join(" ", args)).isEqualTo(200);
                    continue;
                }
                List<String> mesh = args.subList(1, args.size());
                if (mesh.get(0).equals("demo")) {
                    continue; // the mesh this test started stands in for it
                }
                if (mesh.size() > 1 && mesh.subList(0, 2).equals(List.of("canary", "promote"))) {
                    promotion = inAnotherTerminal(mesh, promotionLog);
                    awaitPromoting(promotion, promotionLog);
                    continue;
                }
                CliRun run = run(mesh);
                check(mesh, run, sample);
            }
            assertThat(promotion).as("the tour promotes a canary").isNotNull();
            assertThat(promotion.waitFor(60, TimeUnit.SECONDS)).as("the promotion ends after the abort").isTrue();
            assertThat(Files.readString(promotionLog)).contains("abort");
            assertThat(sample.weights()).containsEntry("reviews-v1", 150L).containsEntry("reviews-v2", 0L)
                    .containsEntry("reviews-v3", 50L);
        } finally {
            System.setProperty("meshwork.demo.context", contextBefore);
        }
    }

    /** What each step of the tour must show beyond its exit code. */
    private static void check(List<String> mesh, CliRun run, SampleMesh sample) throws Exception {
        String command = String.join(" ", mesh);
        assertThat(run.exitCode()).as(command + "\n" + run.out() + run.err()).isZero();
        assertThat(run.out() + run.err()).as(command).doesNotContain("(null)").doesNotContain("Exception");
        switch (mesh.get(0) + " " + (mesh.size() > 1 ? mesh.get(1) : "")) {
            case "split get" -> assertThat(run.out()).contains("reviews-v1");
            case "split set" -> assertThat(sample.weights()).containsEntry("reviews-v1", 100L)
                    .containsEntry("reviews-v2", 50L).containsEntry("reviews-v3", 50L);
            case "proxy-status " -> assertThat(run.out()).containsPattern("default/frontend-1\\s+SYNCED");
            case "canary status" -> assertThat(run.out()).contains("Promoting");
            case "canary abort" -> assertThat(run.out()).contains("reviews-v1=150").contains("reviews-v3=50");
            case "proxy-config frontend-1" -> assertThat(run.out()).contains("reviews.default.svc.cluster.local:9080");
            case "analyze " -> assertThat(run.out()).contains("0 errors");
            default -> { }
        }
        assertThat(run.err()).as(command + ": the running demo is named as the source")
                .satisfiesAnyOf(e -> assertThat(e).contains("(using the running demo's"),
                        e -> assertThat(command).startsWith("proxy-config"));
    }

    /** {@code mesh args} as a second terminal runs it: its own JVM, finding the demo through the same context file. */
    private static Process inAnotherTerminal(List<String> args, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmeshwork.demo.context=" + System.getProperty("meshwork.demo.context"),
                "-cp", System.getProperty("java.class.path"), "io.meshwork.cli.Main"));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitPromoting(Process promotion, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!promotion.isAlive()) {
                throw new AssertionError("the promotion ended before it was aborted:\n" + Files.readString(log));
            }
            if (run(List.of("canary", "status", "reviews")).out().contains("Promoting")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the promotion did not start within 60 s:\n" + Files.readString(log));
    }

    /** The {@code ./mesh} and {@code curl} lines of the tour's code blocks, continuation lines joined, split into words. */
    static List<List<String>> tourCommands() throws Exception {
        String readme = Files.readString(README);
        String tour = readme.substring(readme.indexOf("## A short tour"), readme.indexOf("\n## ", readme.indexOf("## A short tour") + 5));
        List<List<String>> commands = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String line : tour.split("\n")) {
            String code = line.startsWith("       ") ? line.strip() : "";
            if (pending.length() > 0) {
                pending.append(' ').append(code.replaceAll("\\\\$", "").strip());
            } else if (code.startsWith("./mesh ") || code.startsWith("curl ")) {
                pending.append(code.replaceAll("\\\\$", "").strip());
            }
            if (pending.length() > 0 && !code.endsWith("\\")) {
                // the one placeholder, kept one word
                commands.add(Arrays.asList(pending.toString().replace("<frontend outbound port>", PORT).split("\\s+")));
                pending.setLength(0);
            }
        }
        return commands;
    }

    private static int curl(List<String> args) throws Exception {
        URI proxy = URI.create(args.get(args.indexOf("-x") + 1));
        HttpClient client = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress(proxy.getHost(), proxy.getPort())))
                .connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create(args.get(args.size() - 1))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** {@code mesh} in-process, its output captured and then shown in the test's log. */
    private static CliRun run(List<String> args) {
        CliRun run = CliRun.run(args.toArray(String[]::new));
        System.out.println("$ mesh " + String.join(" ", args) + "\n" + run.out() + run.err());
        return run;
    }
}
