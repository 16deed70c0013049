package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code mesh echo}'s bad input: one line naming what is wrong, non-zero exit, no server left. */
class EchoCommandTest {

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = Main.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void missingNameIsAUsageError() {
        assertThat(run("echo", "--port", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--name=NAME'");
    }

    @Test
    void latencyThatDoesNotParseIsAUsageError() {
        assertThat(run("echo", "--name", "reviews", "--latency", "soon")).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid value for option '--latency'", "duration \"soon\" does not parse");
    }

    @Test
    void failureRateAboveOneIsOneLineError() {
        assertThat(run("echo", "--name", "reviews", "--port", "0", "--failure-rate", "1.5")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("error: echo reviews: failure rate 1.5 is not in 0..1" + System.lineSeparator());
    }

    @Test
    void callWithoutUpstreamIsOneLineError() {
        assertThat(run("echo", "--name", "frontend", "--port", "0", "--call", "reviews")).isEqualTo(1);
        assertThat(err.toString()).contains("error: echo frontend: --call reviews needs --upstream");
    }
}
