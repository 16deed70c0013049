package io.meshwork.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code mesh demo} as a user would, non-interactively, with the real processes it starts. */
class DemoCommandTest {

    @TempDir
    Path work;

    @Test
    void demoPromotesV2RollsBackV3AndLeavesNoProcessBehind() {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.execute("demo", "--no-color", "--interval", "3s", "--work-dir", work.toString());
        } finally {
            System.setOut(oldOut);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(code).as(printed).isZero();
        assertThat(printed).contains("promoted reviews-v2:").contains("rolled back reviews-v3:")
                .contains("all traffic is back on reviews-v2");
        List<ProcessHandle> left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
        assertThat(left).as("processes the demo started and left running").isEmpty();
    }
}
