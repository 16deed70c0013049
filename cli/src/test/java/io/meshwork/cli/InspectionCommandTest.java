package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input of the inspection commands and the demo; their happy paths run against a real mesh in demo/. */
class InspectionCommandTest {

    @TempDir
    Path dir;

    @Test
    void proxyStatusWithoutAControlPlaneSaysWhereItLooked() {
        CliRun run = CliRun.run("proxy-status", "--control-plane", "http://127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("error: cannot reach the control plane at http://127.0.0.1:1")
                .doesNotContain("Exception");
    }

    @Test
    void proxyConfigRejectsAnUnknownSection() {
        CliRun run = CliRun.run("proxy-config", "frontend-1", "sockets");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("sockets").contains("listeners, routes, clusters, endpoints, secrets");
    }

    @Test
    void proxyConfigRejectsAnUnknownOutputFormat() {
        CliRun run = CliRun.run("proxy-config", "frontend-1", "-o", "xml", "--admin", "http://127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().lines().findFirst().orElseThrow()).isEqualTo(
                "error: Invalid value for option '--output': expected one of [table, json, yaml] (case-sensitive) but was 'xml'");
    }

    @Test
    void demoWithAMissingSamplesFolderSaysSo() {
        CliRun run = CliRun.run("demo", "--samples", dir.resolve("nope").toString(), "--work-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--samples").contains("does not exist");
    }

    @Test
    void helpListsEveryCommandWithOneLineEach() {
        CliRun run = CliRun.run("--help");

        assertThat(run.exitCode()).isZero();
        for (String command : new String[] {"demo", "control-plane", "proxy", "split", "canary", "proxy-status",
                "proxy-config", "analyze", "echo", "webhook", "inject", "install", "init-iptables", "version"}) {
            assertThat(run.out()).containsPattern("(?m)^  " + command + "\\s+\\S");
        }
    }

    @Test
    void unknownCommandIsAnErrorNotAStackTrace() {
        CliRun run = CliRun.run("frobnicate");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("frobnicate").doesNotContain("at io.meshwork");
    }
}
