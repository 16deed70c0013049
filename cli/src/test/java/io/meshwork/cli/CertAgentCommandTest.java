package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.Pem;
import io.meshwork.certs.WorkloadCsrSigner;
import io.meshwork.controlplane.ca.CaServer;
import io.meshwork.controlplane.ca.WorkloadTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh cert-agent} against the real CA service over TLS: the files grpc-java's file_watcher reads. */
class CertAgentCommandTest {

    @TempDir
    Path dir;
    private final CertificateAuthority root = CertificateAuthority.createSelfSigned("agent root", Duration.ofDays(1));
    private final WorkloadTokens tokens = WorkloadTokens.inMemory("cluster.local");
    private CaServer ca;

    @BeforeEach
    void start() throws Exception {
        ca = new CaServer(new InetSocketAddress("127.0.0.1", 0), new WorkloadCsrSigner(root, Duration.ofHours(1),
                Duration.ofHours(2)), tokens, new SimpleMeterRegistry()).start();
        Files.writeString(dir.resolve("root.pem"), root.certificatePem());
        Files.writeString(dir.resolve("token"), tokens.create("greeter-1", "default", "greeter", Duration.ofHours(1)));
    }

    @AfterEach
    void stop() throws Exception {
        ca.close();
    }

    @Test
    void writesTheThreeFilesAFileWatcherReadsWithTheKeyPrivate() throws Exception {
        CliRun run = CliRun.run(args(true).toArray(String[]::new));

        assertThat(run.exitCode()).as(run.err()).isZero();
        Path out = dir.resolve("out");
        List<X509Certificate> chain = Pem.readCertificates(out.resolve("cert-chain.pem"));
        assertThat(chain.get(0).getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://cluster.local/ns/default/sa/greeter"));
        assertThat(KeyPairs.matches(Pem.readPrivateKey(out.resolve("key.pem")), chain.get(0).getPublicKey())).isTrue();
        assertThat(Files.readString(out.resolve("root-cert.pem"))).isEqualTo(root.certificatePem());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("key.pem")))).isEqualTo("rw-------");
    }

    @Test
    void keepsTheFilesCurrentAtHalfTheLifetime() throws Exception {
        // Main.execute directly, not CliRun: the agent runs until interrupted, and CliRun holds the console while it runs.
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread agent = new Thread(() -> exit.complete(Main.execute(args(false).toArray(String[]::new))), "cert-agent");
        agent.start();
        try {
            Path chainFile = dir.resolve("out").resolve("cert-chain.pem");
            BigInteger first = awaitSerial(chainFile, null);
            BigInteger renewed = awaitSerial(chainFile, first);

            assertThat(renewed).isNotEqualTo(first);
            assertThat(exit).as("the agent keeps running").isNotDone();
        } finally {
            agent.interrupt();
            agent.join(10_000);
        }
    }

    private List<String> args(boolean once) {
        List<String> args = new java.util.ArrayList<>(List.of("cert-agent", "--token-file", dir.resolve("token").toString(),
                "--ca-address", "127.0.0.1:" + ca.port(), "--ca-root-file", dir.resolve("root.pem").toString(),
                "-n", "default", "--service-account", "greeter", "--workload-cert-ttl", "4s", "--out", dir.resolve("out").toString()));
        if (once) {
            args.add("--once");
        }
        return args;
    }

    /** The serial in {@code file} once it is there and not {@code other}; fails after 15 s. */
    private static BigInteger awaitSerial(Path file, BigInteger other) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                BigInteger serial = Pem.readCertificates(file).get(0).getSerialNumber();
                if (!serial.equals(other)) {
                    return serial;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + (other == null ? "" : "new ") + "certificate in " + file + " within 15 s");
    }
}
