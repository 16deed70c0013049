package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.meshwork.proxy.testing.Http2TestClient;
import io.meshwork.proxy.testing.Http2TestClient.Response;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies far larger than HTTP/2's initial 64 KiB windows cross the sidecar's downstream HTTP/2 path
 * (its streams have no channel of their own, {@link Http2StreamDispatcher}) in both directions, on
 * several streams of one connection at once: uploads only go on if the sidecar gives the bytes it
 * relays back to the client's windows (WINDOW_UPDATE), downloads only if a stream that ran out of
 * window is resumed when the client opens it again (writability); and the connection goes on serving.
 */
class Http2StreamFlowTest {

    private static final int UPLOAD = 3 * 1024 * 1024;
    private static final int DOWNLOAD = 4 * 1024 * 1024;

    private static TestControlPlane controlPlane;
    private static TestBackend files;
    private static HttpServer large;
    private static SidecarHarness harness;

    @BeforeAll
    static void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        files = new TestBackend("files-v1");
        large = TestBackend.loopbackServer();
        large.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, DOWNLOAD);
            byte[] chunk = "0123456789abcdef".repeat(1024).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int sent = 0; sent < DOWNLOAD; sent += chunk.length) {
                    out.write(chunk);
                }
            }
        });
        large.setExecutor(Executors.newFixedThreadPool(4));
        large.start();
        MeshResources mesh = new MeshResources("default")
                .service("files", 8080, "http", List.of(Backend.of(files.port(), "files-v1", "v1")))
                .service("large", 8080, "http", List.of(Backend.of(large.getAddress().getPort(), "large-v1", "v1")))
                .virtualHost("files", 8080, List.of())
                .virtualHost("large", 8080, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
        files.close();
        large.stop(0);
        controlPlane.close();
    }

    @Test
    void uploadsLargerThanTheWindowsStreamOnSeveralStreamsOfOneConnection() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            String body = "x".repeat(UPLOAD);
            List<Future<Response>> responses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                responses.add(clients.submit(() -> client.exchange(
                        Http2TestClient.requestHeaders("POST", "files:8080", "/upload"), body, true)));
            }
            for (Future<Response> response : responses) {
                Response done = response.get(30, TimeUnit.SECONDS);
                assertThat(done.status()).isEqualTo(200);
                assertThat(done.body()).isEqualTo(Integer.toString(UPLOAD));
            }
            assertThat(client.get("files:8080", "/next", new DefaultHttp2Headers()).body()).isEqualTo("files-v1 /next");
            assertThat(client.connectionUsable()).isTrue();
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void downloadsLargerThanTheWindowsStreamOnSeveralStreamsOfOneConnection() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            List<Future<Response>> responses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                responses.add(clients.submit(() -> client.get("large:8080", "/file", new DefaultHttp2Headers())));
            }
            for (Future<Response> response : responses) {
                Response done = response.get(30, TimeUnit.SECONDS);
                assertThat(done.status()).isEqualTo(200);
                assertThat(done.body()).hasSize(DOWNLOAD);
            }
            assertThat(client.get("files:8080", "/next", new DefaultHttp2Headers()).body()).isEqualTo("files-v1 /next");
            assertThat(client.connectionUsable()).isTrue();
        } finally {
            clients.shutdownNow();
        }
    }
}
