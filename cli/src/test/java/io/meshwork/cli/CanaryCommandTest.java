package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CanaryCommandTest {

    @TempDir
    Path dir;

    @BeforeEach
    void writeConfig() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), SplitCommandTest.CONFIG);
    }

    @Test
    void abortWithoutAPromotionNeedsThePrimary() {
        CliRun run = CliRun.run("canary", "abort", "reviews", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no promotion of reviews is running").contains("--primary");
    }

    @Test
    void abortSendsAllTrafficToThePrimaryAndStatusSaysSo() {
        CliRun abort = CliRun.run("canary", "abort", "reviews", "--primary", "reviews-v1", "--config-dir", dir.toString());
        CliRun status = CliRun.run("canary", "status", "reviews", "--config-dir", dir.toString());

        assertThat(abort.exitCode()).isZero();
        assertThat(status.out()).containsPattern("reviews-v1\\s+100\\s+100%").containsPattern("reviews-v2\\s+0\\s+0%")
                .contains("aborted canary=reviews-v2 primary=reviews-v1");
    }

    @Test
    void promoteRejectsACanaryThatIsNotABackend() {
        CliRun run = CliRun.run("canary", "promote", "reviews", "--canary", "reviews-v7", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--canary reviews-v7 is not a backend of TrafficSplit default/reviews");
    }

    @Test
    void promoteRejectsStepsThatDoNotIncrease() {
        CliRun run = CliRun.run("canary", "promote", "reviews", "--canary", "reviews-v2", "--steps", "50,25",
                "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--steps must increase, but 25 follows 50");
    }

    @Test
    void promoteRejectsAnIntervalThatDoesNotParse() {
        CliRun run = CliRun.run("canary", "promote", "reviews", "--canary", "reviews-v2", "--interval", "soon",
                "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("\"soon\" is not a duration");
    }

    @Test
    void promoteWithoutAReachableControlPlaneSaysWhereItLooked() {
        CliRun run = CliRun.run("canary", "promote", "reviews", "--canary", "reviews-v2", "--interval", "100ms",
                "--control-plane", "http://127.0.0.1:1", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot reach the control plane at http://127.0.0.1:1");
    }
}
