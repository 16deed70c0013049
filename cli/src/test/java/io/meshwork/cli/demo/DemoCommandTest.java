package io.meshwork.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

        // The edge: one line saying where the gateway's listeners are, and the curl commands that call them.
        Matcher edge = Pattern.compile("✔ gateway web +edge HTTP 127\\.0\\.0\\.1:(\\d+), HTTPS 127\\.0\\.0\\.1:(\\d+) "
                + "\\(frontend\\.example\\.com\\)\n").matcher(printed);
        assertThat(edge.find()).as("the gateway's line").isTrue();
        String http = edge.group(1);
        String https = edge.group(2);
        assertThat(Set.of(http, https)).as("the Gateway's listeners moved off the samples' ports").doesNotContain("28080", "28443");
        assertThat(printed).contains("curl -H 'Host: frontend.example.com' http://127.0.0.1:" + http + "/")
                .contains("curl --resolve frontend.example.com:" + https + ":127.0.0.1 --cacert "
                        + work.resolve("gateway").resolve("frontend-example-tls.crt") + " https://frontend.example.com:" + https + "/");
        // The load went through the gateway: the gateway counted (at least) every request the load generator sent.
        Matcher load = Pattern.compile("load: (\\d+) requests through gateway web \\(http://127\\.0\\.0\\.1:" + http
                + ", Host: frontend\\.example\\.com; the gateway's /stats: requests_total (\\d+)\\), per version of reviews "
                + "\\{(?:\\?=\\d+, )?v1=(\\d+), v2=(\\d+), v3=(\\d+)\\}, (\\d+) failed").matcher(printed);
        assertThat(load.find()).as("the load line").isTrue();
        long sent = Long.parseLong(load.group(1));
        long failed = Long.parseLong(load.group(6));
        assertThat(sent).as("requests sent").isGreaterThan(1000);
        // A request that failed may not have reached the gateway (a connection refused, a timeout before it read it).
        assertThat(Long.parseLong(load.group(2))).as("requests the gateway served").isGreaterThanOrEqualTo(sent - failed);
        assertThat(Long.parseLong(load.group(3)) + Long.parseLong(load.group(4)) + Long.parseLong(load.group(5)))
                .as("answers from reviews, through the frontend").isGreaterThan(sent * 9 / 10);
        List<ProcessHandle> left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
        assertThat(left).as("processes the demo started and left running").isEmpty();
    }
}
