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
    void demoPromotesV2EjectsAndRollsBackV3AndLeavesNoProcessBehind() {
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
        // Outlier detection at the frontend's sidecar ejects the failing canary pod, read from its admin, before the
        // analysis rolls the canary back.
        int ejection = printed.indexOf("outlier detection: frontend-1's sidecar ejected reviews-v3-1 (");
        int rollback = printed.indexOf("rolled back: reviews-v3 failed");
        assertThat(ejection).as("the ejection line").isPositive();
        assertThat(rollback).as("the rollback line").isPositive();
        assertThat(ejection).as("ejection shown before the rollback").isLessThan(rollback);
        List<ProcessHandle> left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
        assertThat(left).as("processes the demo started and left running").isEmpty();
    }
}
