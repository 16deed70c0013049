package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.RawExchange;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Data that looks complete but is not: a body the upstream cut short must reach the client as an
 * error, and a request whose chunk framing is broken must never reach the upstream as complete.
 */
class FramingIntegrityTest {

    private static final int BODY = 5000;

    private TestControlPlane controlPlane;
    private SidecarHarness harness;
    private ServerSocket closeDelimited;
    private ServerSocket recording;
    /** What the recording upstream received, one entry per connection, once that connection ended. */
    private final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        closeDelimited = closeDelimitedBackend();
        recording = recordingBackend();
        MeshResources mesh = new MeshResources("default")
                .service("cut", 8080, "http", List.of(Backend.of(closeDelimited.getLocalPort(), "cut-v1", "v1")))
                .virtualHost("cut", 8080, List.of())
                .service("echo", 8080, "http", List.of(Backend.of(recording.getLocalPort(), "echo-v1", "v1")))
                .virtualHost("echo", 8080, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        closeDelimited.close();
        recording.close();
        controlPlane.close();
    }

    @Test
    void aCloseDelimitedBodyEndedByAFinArrivesWholeWithItsFinalChunk() throws Exception {
        String response = exchange("GET /fin HTTP/1.1\r\nHost: cut:8080\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200").contains("transfer-encoding: chunked");
        assertThat(response).endsWith("\r\n0\r\n\r\n");
        assertThat(response.chars().filter(c -> c == 'x').count()).isEqualTo(BODY);
    }

    @Test
    void aCloseDelimitedBodyCutByAResetNeverGetsTheFinalChunk() throws Exception {
        String response = exchange("GET /reset HTTP/1.1\r\nHost: cut:8080\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200");
        assertThat(response).as("a truncated body must not be framed as complete").doesNotEndWith("\r\n0\r\n\r\n");
        assertThat(harness.sidecar.metrics().scrape().lines()
                .filter(l -> l.startsWith("mesh_requests_total") && l.contains("destination_service=\"cut\""))
                .toList()).as("the truncated exchange is not counted a success")
                .noneMatch(l -> l.contains("response_code=\"200\""));
    }

    @Test
    void contentLengthAndChunkedBodiesCutShortEndWithoutTheirEnd() throws Exception {
        for (String path : new String[] {"/short", "/chunk"}) {
            String response = exchange("GET " + path + " HTTP/1.1\r\nHost: cut:8080\r\nConnection: close\r\n\r\n");

            assertThat(response).as(path).startsWith("HTTP/1.1 200");
            assertThat(response).as(path).doesNotEndWith("\r\n0\r\n\r\n");
            assertThat(response.chars().filter(c -> c == 'x').count()).as(path).isLessThanOrEqualTo(BODY);
        }
    }

    @Test
    void malformedChunkFramingIs400AndNeverForwardedAsComplete() throws Exception {
        String[] bodies = {
            "3 \r\nabc\r\n0\r\n\r\n",                 // a space after the size
            "zz\r\nabc\r\n0\r\n\r\n",                 // not hex
            "3\r\nabcXY0\r\n\r\n",                    // no CRLF after the data
            "fffffffffffffffffffff\r\nabc\r\n0\r\n\r\n", // a size past any integer
            "-3\r\nabc\r\n0\r\n\r\n",                 // a sign
        };
        for (String body : bodies) {
            received.clear();
            String response = exchange("POST /upload HTTP/1.1\r\nHost: echo:8080\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "2\r\nok\r\n" + body + "GET /next HTTP/1.1\r\nHost: echo:8080\r\n\r\n");

            assertThat(response).as(body).startsWith("HTTP/1.1 400");
            assertThat(response).as(body).contains("malformed request");
            assertThat(response).as("nothing after a framing error is answered: " + body)
                    .doesNotContain("HTTP/1.1 200");
            awaitUpstreamConnectionsEnded();
            for (String upstream : received) {
                assertThat(upstream).as("what the upstream got for " + body).doesNotContain("0\r\n\r\n");
            }
        }
    }

    private String exchange(String raw) throws IOException {
        return RawExchange.exchange(harness.outboundPort(), raw);
    }

    private void awaitUpstreamConnectionsEnded() throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (received.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** Answers with a body that ends when the connection does: by FIN for /fin, by RST for /reset. */
    private static ServerSocket closeDelimitedBackend() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    String head = readHead(socket.getInputStream());
                    String framing = head.startsWith("GET /short") ? "Content-Length: " + (2 * BODY) + "\r\n"
                            : head.startsWith("GET /chunk") ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n";
                    String body = head.startsWith("GET /chunk") ? Integer.toHexString(BODY) + "\r\n" + "x".repeat(BODY)
                            : "x".repeat(BODY);
                    socket.getOutputStream().write(("HTTP/1.1 200 OK\r\n" + framing + "\r\n" + body)
                            .getBytes(StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().flush();
                    if (head.startsWith("GET /reset")) {
                        Thread.sleep(100);
                        socket.setSoLinger(true, 0); // close with RST
                    }
                    socket.close();
                } catch (IOException | InterruptedException e) {
                    // next connection
                }
            }
        });
        return server;
    }

    /** Records everything each connection sends; answers 200 only to a request whose chunked body ended. */
    private ServerSocket recordingBackend() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    daemon(() -> record(socket));
                } catch (IOException e) {
                    // closed
                }
            }
        });
        return server;
    }

    private void record(Socket socket) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (socket) {
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                got.write(buffer, 0, n);
                if (got.toString(StandardCharsets.ISO_8859_1).endsWith("0\r\n\r\n")) {
                    socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        } catch (IOException e) {
            // reset or timeout: what arrived is recorded below
        }
        received.add(got.toString(StandardCharsets.ISO_8859_1));
    }

    private static void daemon(Runnable task) {
        Thread thread = new Thread(task, "framing-test-backend");
        thread.setDaemon(true);
        thread.start();
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
