package io.meshwork.proxy.http;

import static io.meshwork.proxy.testing.MeshResources.clusterName;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a client sees when the upstream is slow, gone, or the sidecar drains. */
class UpstreamFailureTest {

    private TestControlPlane controlPlane;
    private TestBackend backend;
    private SidecarHarness harness;
    private ServerSocket garbled;

    @BeforeEach
    void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        backend = new TestBackend("slow-v1");
        garbled = garbledBackend();
        MeshResources mesh = new MeshResources("default")
                .service("slow", 8080, "http", List.of(Backend.of(backend.port(), "slow-v1", "v1")))
                .virtualHost("slow", 8080, List.of(MeshResources.withTimeout(MeshResources.weightedRoute(
                        MeshResources.prefix("/"), Map.of(clusterName("slow", "default", 8080), 1)),
                        Duration.ofMillis(1000))))
                .service("patient", 8080, "http", List.of(Backend.of(backend.port(), "slow-v1", "v1")))
                .virtualHost("patient", 8080, List.of(MeshResources.withTimeout(MeshResources.weightedRoute(
                        MeshResources.prefix("/"), Map.of(clusterName("patient", "default", 8080), 1)),
                        Duration.ofSeconds(60))))
                .service("garbled", 8080, "http", List.of(Backend.of(garbled.getLocalPort(), "garbled-v1", "v1")))
                .virtualHost("garbled", 8080, List.of())
                .service("gone", 8080, "http", List.of(Backend.of(FreePort.pick(), "gone-v1", "v1")))
                .virtualHost("gone", 8080, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        backend.close();
        garbled.close();
        controlPlane.close();
    }

    @Test
    void aSlowUpstreamPastTheRouteTimeoutGets504NamingTheService() throws Exception {
        HttpResponse<String> response = harness.get("http://slow:8080/slow/3000");
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("timeout for service slow after 1000 ms");
        long start = System.nanoTime();
        HttpResponse<String> fast = harness.get("http://slow:8080/slow/10");
        assertThat(fast.statusCode()).as("%s after %d ms", fast.body(), (System.nanoTime() - start) / 1_000_000)
                .isEqualTo(200);
    }

    @Test
    void theRouteTimeoutHoldsForEveryRequestOfAKeepAliveConnection() throws Exception {
        // One connection, so the sidecar's per-connection timer is re-armed from one exchange to the
        // next: a long timeout first, then fast requests, then a slow one on the short-timeout route.
        try (var client = new KeepAliveClient(harness.outboundPort())) {
            assertThat(client.exchange("patient", "/slow/10")).startsWith("HTTP/1.1 200");
            for (int i = 0; i < 20; i++) {
                assertThat(client.exchange("slow", "/slow/1")).startsWith("HTTP/1.1 200");
            }
            long start = System.nanoTime();
            assertThat(client.exchange("slow", "/slow/5000")).startsWith("HTTP/1.1 504");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(millis).as("the 1000 ms route timeout, not the 60 s of the first request")
                    .isBetween(900L, 2500L);
        }
    }

    /** One kept-alive client connection to the sidecar, for exchanges one after another. */
    private static final class KeepAliveClient implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        KeepAliveClient(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            out = socket.getOutputStream();
        }

        /** Sends one GET and reads its response head and body; returns the status line. */
        String exchange(String host, String path) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":8080\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = in.readLine();
            int length = 0;
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            for (int i = 0; i < length; i++) {
                in.read();
            }
            return status;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * A backend that answers every request with a status line that is no HTTP ("2x0") and keeps the
     * connection open, so only the sidecar's parsing can end the exchange.
     */
    private static ServerSocket garbledBackend() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            List<Socket> open = new ArrayList<>();
            try (server) {
                while (true) {
                    Socket socket = server.accept();
                    open.add(socket);
                    InputStream in = socket.getInputStream();
                    int matched = 0;
                    while (matched < 4) {
                        int b = in.read();
                        if (b < 0) {
                            break;
                        }
                        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                    }
                    socket.getOutputStream().write("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                }
            } catch (IOException closed) {
                open.forEach(socket -> {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing at the end of the test
                    }
                });
            }
        }, "garbled-backend");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    @Test
    void aMalformedUpstreamResponseGets502NamingTheServiceAndTheClientConnectionGoesOn() throws Exception {
        try (var client = new KeepAliveClient(harness.outboundPort())) {
            assertThat(client.exchange("garbled", "/")).startsWith("HTTP/1.1 502");
            assertThat(client.exchange("slow", "/slow/1")).startsWith("HTTP/1.1 200");
        }
        HttpResponse<String> response = harness.get("http://garbled:8080/");
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("malformed response from service garbled");
    }

    @Test
    void anUpstreamThatRefusesConnectionsGets503NamingTheService() throws Exception {
        HttpResponse<String> response = harness.get("http://gone:8080/");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("upstream connect error for service gone");
    }

    @Test
    void drainingClosesTheListenersAndLetsRequestsInFlightFinish() throws Exception {
        CompletableFuture<HttpResponse<String>> inFlight = harness.client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://slow:8080/slow/250")).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(100);
        HttpResponse<String> drain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + harness.sidecar.adminPort() + "/drain"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(drain.statusCode()).isEqualTo(200);

        assertThat(inFlight.get().statusCode()).isEqualTo(200);
        assertThat(harness.sidecar.listenerPort("outbound")).isEqualTo(-1);
        HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + harness.sidecar.healthPort() + "/healthz/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(503);
    }

    @Test
    void drainingClosesIdleKeepAliveConnections() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", harness.outboundPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /slow/1 HTTP/1.1\r\nHost: slow:8080\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            java.io.InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int n = in.read(buffer);
            assertThat(new String(buffer, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");

            HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + harness.sidecar.adminPort() + "/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

            // Whatever is left of the response, then the end of the stream: the sidecar closed it.
            while (n >= 0) {
                n = in.read(buffer);
            }
            assertThat(n).isEqualTo(-1);
        }
    }

    @Test
    void quitQuitQuitStopsTheSidecarSoAJobCanEnd() throws Exception {
        HttpResponse<String> quit = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + harness.sidecar.adminPort() + "/quitquitquit"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(quit.statusCode()).isEqualTo(200);

        CompletableFuture.runAsync(harness.sidecar::awaitStopped).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(harness.sidecar.listenerPort("outbound")).isEqualTo(-1);
    }
}
