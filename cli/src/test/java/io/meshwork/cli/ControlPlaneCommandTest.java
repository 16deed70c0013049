package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ControlPlaneCommandTest {

    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = Main.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setOut(new PrintWriter(out, true));
        return commandLine.execute(args);
    }

    @Test
    void helpListsThePortsWithTheirDefaults() {
        assertThat(run("control-plane", "--help")).isZero();

        assertThat(out.toString()).contains("--config-dir=DIR", "--xds-port", "15010", "--admin-port", "15014",
                "--address", "127.0.0.1");
    }

    @Test
    void anUnreadableConfigFileSizeNamesTheFlag(@TempDir Path dir) {
        assertThat(run("control-plane", "--config-dir", dir.toString(), "--max-config-file-size", "lots")).isEqualTo(2);

        assertThat(err.toString()).contains("--max-config-file-size lots: not a size between 1 byte and 2 GiB");
    }

    @Test
    void missingConfigDirIsAUsageError() {
        assertThat(run("control-plane")).isEqualTo(2);

        assertThat(err.toString()).contains("--config-dir");
    }

    @Test
    void configDirAndKubernetesTogetherAreAUsageError(@TempDir Path dir) {
        assertThat(run("control-plane", "--config-dir", dir.toString(), "--kubernetes")).isEqualTo(2);

        assertThat(err.toString()).contains("--config-dir", "--kubernetes", "mutually exclusive");
    }

    @Test
    void kubeconfigThatIsNoFileIsNamedInOneLine(@TempDir Path dir) {
        Path missing = dir.resolve("nope");

        assertThat(run("control-plane", "--kubernetes", "--kubeconfig", missing.toString())).isEqualTo(2);

        assertThat(err.toString()).startsWith("error: --kubeconfig " + missing + ": not a file");
    }

    @Test
    void helpListsTheKubernetesFlags() {
        assertThat(run("control-plane", "--help")).isZero();

        assertThat(out.toString()).contains("--kubernetes", "--kubeconfig=FILE", "--context=CONTEXT");
    }

    @Test
    void configDirThatIsNoDirectoryIsNamedInOneLine(@TempDir Path dir) {
        Path missing = dir.resolve("nope");

        assertThat(run("control-plane", "--config-dir", missing.toString())).isEqualTo(2);

        assertThat(err.toString()).startsWith("error: --config-dir " + missing + ": not a directory");
    }
}
