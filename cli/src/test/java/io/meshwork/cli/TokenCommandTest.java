package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.certs.SpiffeId;
import io.meshwork.controlplane.ca.WorkloadTokens;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {

    @TempDir
    Path dir;

    @Test
    void aTokenMadeByTheCliIsAcceptedByTheControlPlanesKey() throws Exception {
        CliRun run = CliRun.run("token", "create", "--ca-dir", dir.toString(), "--workload", "reviews-v1",
                "--namespace", "shop", "--service-account", "reviews", "--ttl", "1h");

        assertThat(run.exitCode()).as(run.err()).isZero();
        var caller = WorkloadTokens.inFolder(dir, "cluster.local").authenticate(run.out().strip());
        assertThat(caller.identity()).isEqualTo(new SpiffeId("cluster.local", "shop", "reviews"));
        assertThat(caller.workload()).isEqualTo("reviews-v1");
    }

    @Test
    void badInputIsOneLineNamingTheFlag() {
        CliRun noDir = CliRun.run("token", "create", "--ca-dir", dir.resolve("none").toString(), "--workload", "w",
                "--service-account", "sa");
        CliRun badSa = CliRun.run("token", "create", "--ca-dir", dir.toString(), "--workload", "w",
                "--service-account", "a/b");
        CliRun help = CliRun.run("token", "create", "--help");

        assertThat(noDir.exitCode()).isEqualTo(2);
        assertThat(noDir.err()).startsWith("error: --ca-dir " + dir.resolve("none") + ": not a directory");
        assertThat(badSa.exitCode()).isEqualTo(2);
        assertThat(badSa.err()).startsWith("error: SPIFFE ID: serviceAccount \"a/b\" must be non-empty and contain no '/'");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("Usage: mesh token create", "--service-account=SA");
    }
}
