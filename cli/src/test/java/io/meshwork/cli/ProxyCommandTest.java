package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProxyCommandTest {

    @Test
    void refusesToStartWithoutTheXdsAddressAndWorkload() {
        assertThat(Main.execute("proxy", "--namespace", "default")).isEqualTo(2);
    }

    @Test
    void theSidecarsOwnCommandLineTakesWhatMeshProxyTakes() {
        picocli.CommandLine whole = Main.newCommandLine().getSubcommands().get("proxy");
        picocli.CommandLine sidecarOnly = Main.sidecarCommandLine().getSubcommands().get("proxy");

        assertThat(sidecarOnly.getUsageMessage()).isEqualTo(whole.getUsageMessage()).startsWith("Usage: mesh proxy");
        assertThat(sidecarOnly.getCommandSpec().parent().findOption("--verbose")).isNotNull();
        assertThat(Main.sidecarCommandLine().getSubcommands()).containsOnlyKeys("proxy");
    }

    @Test
    void parsesDrainTimeoutsLikeFiveSecondsOrFiveHundredMillis() {
        assertThat(ProxyCommand.duration("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(ProxyCommand.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ProxyCommand.duration("PT1M")).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void namesTheFlagOfAnUnreadableDrainTimeout() {
        assertThatThrownBy(() -> ProxyCommand.duration("soon")).hasMessageContaining("--drain-timeout");
    }

    @Test
    void refusesUnreadableAppProbersNamingTheVariableAndTheProbe() {
        CliRun run = CliRun.run("proxy", "--xds", "127.0.0.1:1", "--workload", "w", "--namespace", "default",
                "--instance", "test", "--app-probers", "{\"/app-health/app/livez\": {\"tcpSocket\": {}}}");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("MESH_KUBE_APP_PROBERS").contains("/app-health/app/livez")
                .contains("tcpSocket.port is missing");
    }

    @Test
    void aTokenFileNeedsTheRootToTrustAndMustBeReadable(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        CliRun noRoot = CliRun.run("proxy", "--xds", "127.0.0.1:1", "--workload", "w", "--namespace", "default",
                "--token-file", dir.resolve("token").toString());
        CliRun noToken = CliRun.run("proxy", "--xds", "127.0.0.1:1", "--workload", "w", "--namespace", "default",
                "--token-file", dir.resolve("token").toString(), "--ca-root-file", dir.resolve("root.pem").toString());

        assertThat(noRoot.exitCode()).isEqualTo(1);
        assertThat(noRoot.err().strip())
                .isEqualTo("error: --token-file needs --ca-root-file (the mesh's root-cert.pem) to trust the CA");
        assertThat(noToken.err().strip()).isEqualTo("error: --token-file " + dir.resolve("token") + ": cannot be read");
    }

    @Test
    void aRootFileNotThereYetIsWaitedForThenNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("token"), "a.b.c");
        System.setProperty("meshwork.rootFileWaitSeconds", "1");
        try {
            long start = System.nanoTime();
            CliRun run = CliRun.run("proxy", "--xds", "127.0.0.1:1", "--workload", "w", "--namespace", "default",
                    "--token-file", dir.resolve("token").toString(), "--ca-root-file", dir.resolve("root.pem").toString());

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("waiting for " + dir.resolve("root.pem"));
            assertThat(run.err().lines().reduce((a, b) -> b).orElseThrow()).isEqualTo("error: --ca-root-file "
                    + dir.resolve("root.pem") + ": not there after 1s (in a pod: is the control plane running and "
                    + "publishing ConfigMap meshwork-ca-root-cert?)");
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(1));
        } finally {
            System.clearProperty("meshwork.rootFileWaitSeconds");
        }
    }
}
