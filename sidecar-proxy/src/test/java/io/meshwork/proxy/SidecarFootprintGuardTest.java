package io.meshwork.proxy;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.Jcmd;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.SpawnedSidecar;
import io.meshwork.proxy.testing.TestBackend;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A guard on the sidecar's footprint that counts, not times: a sidecar JVM started with the flags file, configured by
 * the real control plane and past its first request, must not load more classes, nor run with a larger heap, than
 * stated here. Memory follows classes (metaspace and symbols were 48 of the 118 MB NMT counted, BENCHMARKS.md
 * "Sidecar footprint"), so a new library on the sidecar's path shows here before it shows in a benchmark.
 */
class SidecarFootprintGuardTest {

    /**
     * Measured 2026-12-05 on JDK 17.0.15 (Debian) by this test's own log line: 5,046 classes after ready and one
     * request through its sidecar (the path of {@code mesh proxy} without the command line; a control plane without a
     * CA, so no Bouncy Castle). The margin, 300 classes (about 6%), covers JDK updates and small additions; a library
     * such as Jackson (500 classes) does not fit in it.
     */
    private static final int MAX_LOADED_CLASSES = 5_046 + 300;
    /** The flags file's -Xmx72m: the heap an operator sizes pods by. */
    private static final long MAX_HEAP_BYTES = 72L * 1024 * 1024;

    @TempDir
    Path configDir;

    @Test
    void aConfiguredSidecarServingRequestsStaysWithinItsClassCountAndHeap() throws Exception {
        try (TestBackend backend = new TestBackend("guard-v1")) {
            new MeshConfigFolder(configDir).write("mesh.yaml",
                    service("guard", 8080, "http", Map.of("app", "guard")),
                    workload("guard-v1", Map.of("app", "guard"), "http", backend.port()),
                    workload("guard-client", Map.of("app", "guard-client"), "http", FreePort.pick()));
            try (ControlPlane controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                    configDir).start();
                 SpawnedSidecar sidecar = new SpawnedSidecar("127.0.0.1:" + controlPlane.xdsPort(), "guard-client",
                         "default")) {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", sidecar.outboundPort))).build();
                Eventually.await(Duration.ofSeconds(60), "a request through the spawned sidecar",
                        () -> answers(client));
                Jcmd jcmd = new Jcmd(sidecar.pid());

                int classes = jcmd.loadedClasses();
                long maxHeap = jcmd.maxHeapBytes();

                LoggerFactory.getLogger(SidecarFootprintGuardTest.class).info(
                        "spawned sidecar after its first request: {} classes loaded, max heap {} MiB", classes,
                        maxHeap / (1024 * 1024));
                assertThat(classes).as("classes loaded by a configured sidecar").isLessThanOrEqualTo(MAX_LOADED_CLASSES);
                assertThat(maxHeap).as("the sidecar's -Xmx, bytes").isLessThanOrEqualTo(MAX_HEAP_BYTES);
            }
        }
    }

    private static boolean answers(HttpClient client) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://guard:8080/")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }
}
