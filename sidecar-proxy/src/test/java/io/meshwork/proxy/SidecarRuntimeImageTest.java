package io.meshwork.proxy;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.SpawnedSidecar;
import io.meshwork.proxy.testing.TestBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The proxy image's Java runtime (docker/proxy-runtime.sh, a jlink image of the modules the sidecar loads) runs a
 * sidecar: made here from the test's own JDK, it carries a sidecar configured by the real control plane through a
 * request, so a module the sidecar starts needing fails this test rather than an image in a cluster. It also counts
 * the runtime's size against a stated bound.
 */
class SidecarRuntimeImageTest {

    /** Measured 2026-12-06 from Debian's JDK 17.0.15: 62 MB, of which 26 MB are the JDK's two class-data archives. */
    private static final long MAX_RUNTIME_MB = 62 + 8;

    @TempDir
    Path work;

    @Test
    void aSidecarOnTheJlinkedRuntimeIsConfiguredAndProxiesARequest() throws Exception {
        Path jdk = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.isDirectory(jdk.resolve("jmods")), "skipped: " + jdk + " has no jmods folder to jlink from "
                + "(Debian: apt-get install openjdk-17-jdk-headless)");
        Path runtime = work.resolve("runtime");
        ProcessBuilder script = new ProcessBuilder("sh", Path.of("..", "docker", "proxy-runtime.sh").toString(),
                runtime.toString()).redirectErrorStream(true).redirectOutput(work.resolve("jlink.log").toFile());
        script.environment().put("JAVA_HOME", jdk.toString());
        Process jlink = script.start();
        if (!jlink.waitFor(5, TimeUnit.MINUTES)) {
            jlink.destroyForcibly();
            throw new AssertionError("docker/proxy-runtime.sh took over 5 minutes");
        }
        String log = Files.readString(work.resolve("jlink.log"), StandardCharsets.UTF_8);
        assertThat(jlink.exitValue()).as(log).isZero();
        String release = Files.readString(runtime.resolve("release"));
        assertThat(release).contains("jdk.crypto.ec").contains("jdk.unsupported").doesNotContain("java.desktop");
        long megabytes = size(runtime) / (1024 * 1024);

        try (TestBackend backend = new TestBackend("image-v1")) {
            Path config = Files.createDirectories(work.resolve("config"));
            new MeshConfigFolder(config).write("mesh.yaml",
                    service("image", 8080, "http", Map.of("app", "image")),
                    workload("image-v1", Map.of("app", "image"), "http", backend.port()),
                    workload("image-client", Map.of("app", "image-client"), "http", FreePort.pick()));
            try (ControlPlane controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), config)
                    .start();
                 SpawnedSidecar sidecar = new SpawnedSidecar("127.0.0.1:" + controlPlane.xdsPort(), "image-client",
                         "default", runtime)) {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", sidecar.outboundPort))).build();
                Eventually.await(Duration.ofSeconds(60), "a request through the sidecar on the jlinked runtime",
                        () -> answers(client));
                LoggerFactory.getLogger(SidecarRuntimeImageTest.class).info(
                        "jlinked runtime: {} MB; its sidecar proxied a request, RSS {} MB", megabytes, sidecar.rssKb() / 1024);
            }
        }
        assertThat(megabytes).as("the runtime's size, MB").isLessThanOrEqualTo(MAX_RUNTIME_MB);
    }

    private static boolean answers(HttpClient client) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://image:8080/")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    private static long size(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
