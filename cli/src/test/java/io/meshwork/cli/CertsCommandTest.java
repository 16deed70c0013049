package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsCommandTest {

    @TempDir
    Path dir;

    @Test
    void rootThenOneIntermediatePerClusterShareOneTrust() {
        CliRun root = CliRun.run("certs", "root", "--out", dir.resolve("root").toString());
        CliRun east = CliRun.run("certs", "intermediate", "--root", dir.resolve("root").toString(), "--cluster", "east",
                "--out", dir.resolve("east").toString());
        CliRun west = CliRun.run("certs", "intermediate", "--root", dir.resolve("root").toString(), "--cluster", "west",
                "--out", dir.resolve("west").toString());

        assertThat(root.exitCode()).as(root.err()).isZero();
        assertThat(east.exitCode()).as(east.err()).isZero();
        assertThat(west.exitCode()).as(west.err()).isZero();
        assertThat(east.out()).contains("intermediate CA for cluster east written to " + dir.resolve("east"));
        CertificateAuthority eastCa = CaDirectory.load(dir.resolve("east"));
        CertificateAuthority westCa = CaDirectory.load(dir.resolve("west"));
        assertThat(eastCa.root()).isEqualTo(westCa.root()).isEqualTo(CaDirectory.load(dir.resolve("root")).certificate());
        assertThat(eastCa.certificate().getSubjectX500Principal().getName()).contains("CN=meshwork intermediate CA east");
    }

    @Test
    void refusesToReplaceAKeyAndNamesAMissingRoot() throws Exception {
        assertThat(CliRun.run("certs", "root", "--out", dir.toString()).exitCode()).isZero();
        CliRun again = CliRun.run("certs", "root", "--out", dir.toString());
        CliRun noRoot = CliRun.run("certs", "intermediate", "--root", dir.resolve("nowhere").toString(), "--cluster", "east",
                "--out", dir.resolve("east").toString());
        CliRun badCluster = CliRun.run("certs", "intermediate", "--root", dir.toString(), "--cluster", "East_1",
                "--out", dir.resolve("east").toString());

        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).startsWith("error: --out " + dir + ": already holds ca-key.pem; refusing to replace a CA's key");
        assertThat(noRoot.exitCode()).isEqualTo(2);
        assertThat(noRoot.err()).startsWith("error: --root " + dir.resolve("nowhere") + ": cannot read "
                + dir.resolve("nowhere").resolve("root-cert.pem") + ": no such file");
        assertThat(badCluster.err()).startsWith("error: --cluster East_1: must be a DNS label");
        assertThat(Files.exists(dir.resolve("east"))).isFalse();
    }

    @Test
    void everyCertsCommandHasHelp() {
        for (String[] args : new String[][] {{"certs", "--help"}, {"certs", "root", "-h"}, {"certs", "intermediate", "--help"},
                {"help", "certs", "intermediate"}}) {
            CliRun run = CliRun.run(args);
            assertThat(run.exitCode()).as(String.join(" ", args)).isZero();
            assertThat(run.out()).contains("Usage: mesh certs");
        }
    }

    @Test
    void controlPlaneRefusesACaFolderThatDoesNotLoad() throws Exception {
        Path config = Files.createDirectories(dir.resolve("config"));
        Path ca = Files.createDirectories(dir.resolve("ca"));
        Files.writeString(ca.resolve("ca-cert.pem"), "not a certificate");

        CliRun run = CliRun.run("control-plane", "--config-dir", config.toString(), "--ca-dir", ca.toString(),
                "--xds-port", "0", "--admin-port", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: --ca-dir: " + ca.resolve("ca-key.pem") + ": missing");
    }
}
