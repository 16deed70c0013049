package io.meshwork.proxy.listener;

import static io.meshwork.proxy.testing.MeshResources.millis;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.Http2TestClient;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The downstream bounds of a listener with real sockets on loopback: slow and idle clients are cut at the
 * configured timeouts while normal traffic keeps its latency, a connection past its duration drains, an
 * exchange idle past stream_idle_timeout ends, and at the connection limit the listener stops accepting
 * while admitted connections and the health port keep answering.
 */
class ConnectionBoundsTest {

    private static final String GET = "GET /ok HTTP/1.1\r\nHost: echo:8080\r\n\r\n";

    private TestControlPlane controlPlane;
    private TestBackend backend;
    private SidecarHarness harness;

    private void start(UnaryOperator<io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
            .HttpConnectionManager.Builder> timeouts, long maxConnections) throws Exception {
        controlPlane = new TestControlPlane().start();
        backend = new TestBackend("echo-v1");
        MeshResources mesh = new MeshResources("default")
                .service("echo", 8080, "http", List.of(Backend.of(backend.port(), "echo-v1", "v1")))
                .virtualHost("echo", 8080, List.of())
                .outboundBounds(timeouts, maxConnections);
        harness = SidecarHarness.serving(controlPlane, mesh);
    }

    @AfterEach
    void stop() throws Exception {
        if (harness != null) {
            harness.close();
            backend.close();
            controlPlane.close();
        }
    }

    @Test
    void slowlorisHeadsGet408AtRequestHeadersTimeoutWhileNormalRequestsKeepTheirLatency() throws Exception {
        start(hcm -> hcm.setRequestHeadersTimeout(millis(1000)), 0);
        try (KeepAlive normal = new KeepAlive(harness.outboundPort())) {
            long[] baseline = latencies(normal, 300);
            List<Long> cutAfter = new ArrayList<>();
            List<String> answers = new ArrayList<>();
            long[] during;
            try (Slowloris attack = new Slowloris(harness.outboundPort(), 200, cutAfter, answers)) {
                Thread.sleep(300); // every slow client has sent part of a head
                during = latencies(normal, 300);
                Thread.sleep(1500);
            }
            long baselineP50 = percentile(baseline, 50);
            long duringP50 = percentile(during, 50);
            System.out.printf("slowloris: normal GET p50 %d us before, %d us during 200 slow clients "
                    + "(p99 %d / %d us); %d slow connections cut, after %d..%d ms%n", baselineP50 / 1000,
                    duringP50 / 1000, percentile(baseline, 99) / 1000, percentile(during, 99) / 1000, cutAfter.size(),
                    cutAfter.stream().mapToLong(Long::longValue).min().orElse(-1),
                    cutAfter.stream().mapToLong(Long::longValue).max().orElse(-1));

            assertThat(cutAfter).hasSizeGreaterThanOrEqualTo(200);
            // Seen by a driver that looks at each client every 100 ms, on a machine other builds may share.
            assertThat(cutAfter).allSatisfy(ms -> assertThat(ms).isBetween(900L, 4000L));
            assertThat(cutAfter.stream().sorted().toList().get(cutAfter.size() / 2)).isLessThan(2000L);
            assertThat(answers).allSatisfy(answer -> assertThat(answer).startsWith("HTTP/1.1 408")
                    .containsIgnoringCase("connection: close"));
            assertThat(duringP50).as("p50 during the attack, baseline %d ns", baselineP50)
                    .isLessThan(baselineP50 * 4 + 20_000_000L);
            assertThat(percentile(during, 90)).as("p90 during the attack").isLessThan(250_000_000L);
            assertThat(percentile(during, 100)).as("slowest normal request during the attack").isLessThan(2_000_000_000L);
        }
    }

    @Test
    void onAKeepAliveConnectionEachHeadGetsTheWholeRequestHeadersTimeoutFromItsOwnFirstByte() throws Exception {
        // One timer per connection, re-armed lazily: the task armed by the first head runs at that head's deadline
        // and must neither cut a later head early nor let a slow one through.
        start(hcm -> hcm.setRequestHeadersTimeout(millis(1000)), 0);
        try (KeepAlive client = new KeepAlive(harness.outboundPort())) {
            long start = System.nanoTime();
            while (System.nanoTime() - start < 1_300_000_000L) { // requests across the first head's deadline
                assertThat(client.get(GET)).startsWith("HTTP/1.1 200");
                Thread.sleep(50);
            }
            // A head sent in two parts, 700 ms apart: whole within its own 1,000 ms, though a task armed earlier
            // runs in between.
            client.send("GET /ok HTTP/1.1\r\n");
            Thread.sleep(700);
            client.send("Host: echo:8080\r\n\r\n");
            assertThat(client.readAnswer()).startsWith("HTTP/1.1 200");
            // Then a head that never ends: 408 about 1,000 ms after its first byte.
            long slowStart = System.nanoTime();
            client.send("GET /ok HTTP/1.1\r\n");
            String answer = client.readAnswer();
            long cutAfter = (System.nanoTime() - slowStart) / 1_000_000;
            System.out.printf("request_headers_timeout 1000 ms on a keep-alive connection: slow head cut after %d ms%n",
                    cutAfter);
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(cutAfter).isBetween(950L, 4000L);
        }
    }

    @Test
    void idleConnectionsAreClosedAtIdleTimeoutWithoutARequestOrAfterOne() throws Exception {
        start(hcm -> hcm.setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder().setIdleTimeout(millis(800))), 0);
        List<SocketChannel> silent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            silent.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", harness.outboundPort())));
        }
        long start = System.nanoTime();
        try (KeepAlive used = new KeepAlive(harness.outboundPort())) {
            assertThat(used.get(GET)).startsWith("HTTP/1.1 200");
            long[] closedAfter = awaitClosed(silent, start, 5_000);
            long usedClosedAfter = used.awaitClose() / 1_000_000;
            System.out.printf("idle_timeout 800 ms: 100 silent connections closed after %d..%d ms%n",
                    closedAfter[0], closedAfter[closedAfter.length - 1]);

            assertThat(closedAfter[0]).isGreaterThanOrEqualTo(700L);
            assertThat(closedAfter[closedAfter.length - 1]).isLessThanOrEqualTo(4000L);
            assertThat(usedClosedAfter).isBetween(700L, 4000L);
        }
    }

    @Test
    void pastMaxConnectionDurationTheRequestInFlightIsAnsweredWithConnectionCloseAndAnIdleConnectionCloses()
            throws Exception {
        start(hcm -> hcm.setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
                .setMaxConnectionDuration(millis(500))), 0);
        try (KeepAlive busy = new KeepAlive(harness.outboundPort());
             KeepAlive idle = new KeepAlive(harness.outboundPort())) {
            assertThat(idle.get(GET)).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");
            String answer = busy.get("GET /slow/1000 HTTP/1.1\r\nHost: echo:8080\r\n\r\n");
            long busyClosedAfter = busy.awaitClose() / 1_000_000;
            long idleClosedAfter = idle.awaitClose() / 1_000_000;

            assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            assertThat(busyClosedAfter).isBetween(1000L, 4000L);
            assertThat(idleClosedAfter).isBetween(450L, 4000L);
        }
    }

    @Test
    void pastMaxConnectionDurationAnHttp2ConnectionGetsGoawayAndItsOpenStreamFinishes() throws Exception {
        start(hcm -> hcm.setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
                .setMaxConnectionDuration(millis(500))), 0);
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            var inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return client.get("echo:8080", "/slow/1200", new io.netty.handler.codec.http2.DefaultHttp2Headers());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(800);
            boolean usableAtGoaway = client.connectionUsable();
            Http2TestClient.Response response = inFlight.get(5, java.util.concurrent.TimeUnit.SECONDS);

            assertThat(usableAtGoaway).as("GOAWAY received past the duration").isFalse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.resetCode()).isNull();
        }
    }

    @Test
    void anExchangeWithNoByteForStreamIdleTimeoutEndsWith504() throws Exception {
        start(hcm -> hcm.setStreamIdleTimeout(millis(500)), 0);
        long start = System.nanoTime();
        HttpResponse<String> response = harness.get("http://echo:8080/slow/5000");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("stream_idle_timeout");
        assertThat(millis).isBetween(450L, 4000L);
        assertThat(harness.get("http://echo:8080/slow/100").statusCode()).isEqualTo(200);
    }

    @Test
    void atTheConnectionLimitTheListenerStopsAcceptingWhileAdmittedConnectionsAndHealthAnswer() throws Exception {
        start(hcm -> hcm, 5);
        List<KeepAlive> admitted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            admitted.add(new KeepAlive(harness.outboundPort()));
            assertThat(admitted.get(i).get(GET)).startsWith("HTTP/1.1 200");
        }
        try (KeepAlive waiting = new KeepAlive(harness.outboundPort())) {
            waiting.send(GET);
            assertThat(waiting.answeredWithin(500)).as("a sixth connection is not served").isFalse();
            for (KeepAlive connection : admitted) {
                assertThat(connection.get(GET)).startsWith("HTTP/1.1 200");
            }
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + harness.sidecar.healthPort() + "/healthz/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + harness.sidecar.adminPort() + "/stats")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(stats.body()).contains("listener.outbound.downstream_cx_active 5");

            admitted.remove(0).close();
            assertThat(waiting.readAnswer()).startsWith("HTTP/1.1 200");
        } finally {
            for (KeepAlive connection : admitted) {
                connection.close();
            }
        }
    }

    private static long[] latencies(KeepAlive connection, int count) throws IOException {
        long[] nanos = new long[count];
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            assertThat(connection.get(GET)).startsWith("HTTP/1.1 200");
            nanos[i] = System.nanoTime() - start;
        }
        return nanos;
    }

    private static long percentile(long[] values, int percent) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }

    /** Milliseconds from {@code start} to each connection's end, sorted; fails past {@code limitMillis}. */
    private static long[] awaitClosed(List<SocketChannel> channels, long start, long limitMillis) throws Exception {
        long[] closed = new long[channels.size()];
        Arrays.fill(closed, -1);
        ByteBuffer buffer = ByteBuffer.allocate(1024);
        for (SocketChannel channel : channels) {
            channel.configureBlocking(false);
        }
        int open = channels.size();
        while (open > 0) {
            assertThat((System.nanoTime() - start) / 1_000_000).as("%d connections still open", open)
                    .isLessThan(limitMillis);
            for (int i = 0; i < channels.size(); i++) {
                if (closed[i] >= 0) {
                    continue;
                }
                buffer.clear();
                int n;
                try {
                    n = channels.get(i).read(buffer);
                } catch (IOException reset) {
                    n = -1;
                }
                if (n < 0) {
                    closed[i] = (System.nanoTime() - start) / 1_000_000;
                    channels.get(i).close();
                    open--;
                }
            }
            Thread.sleep(10);
        }
        Arrays.sort(closed);
        return closed;
    }

    /** Clients that send a request head a byte at a time, reconnecting when cut, until closed. */
    private static final class Slowloris implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread driver;

        Slowloris(int port, int connections, List<Long> cutAfter, List<String> answers) {
            driver = new Thread(() -> {
                byte[] head = "GET /slow HTTP/1.1\r\nHost: echo:8080\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
                SocketChannel[] channels = new SocketChannel[connections];
                long[] started = new long[connections];
                ByteArrayOutputStream[] received = new ByteArrayOutputStream[connections];
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                try {
                    for (int round = 0; running.get(); round++) {
                        for (int i = 0; i < connections; i++) {
                            if (channels[i] == null) {
                                channels[i] = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                                channels[i].configureBlocking(false);
                                started[i] = System.nanoTime();
                                received[i] = new ByteArrayOutputStream();
                                channels[i].write(ByteBuffer.wrap(head, 0, 10));
                            }
                            buffer.clear();
                            int n;
                            try {
                                n = channels[i].read(buffer);
                                if (n >= 0) {
                                    received[i].write(buffer.array(), 0, n);
                                    channels[i].write(ByteBuffer.wrap(new byte[] {'a'}));
                                }
                            } catch (IOException reset) {
                                n = -1;
                            }
                            if (n < 0) {
                                synchronized (cutAfter) {
                                    cutAfter.add((System.nanoTime() - started[i]) / 1_000_000);
                                    answers.add(received[i].toString(StandardCharsets.ISO_8859_1));
                                }
                                channels[i].close();
                                channels[i] = null;
                            }
                        }
                        Thread.sleep(100);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    for (SocketChannel channel : channels) {
                        try {
                            if (channel != null) {
                                channel.close();
                            }
                        } catch (IOException ignored) {
                            // closing
                        }
                    }
                }
            }, "slowloris");
            driver.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            driver.join();
        }
    }

    /** One kept-alive HTTP/1.1 connection with a blocking socket: a request, then its Content-Length answer. */
    private static final class KeepAlive implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final long opened = System.nanoTime();

        KeepAlive(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(5000);
            in = socket.getInputStream();
        }

        String get(String request) throws IOException {
            send(request);
            return readAnswer();
        }

        void send(String request) throws IOException {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        /** Whether any byte of an answer comes within {@code millis} (a byte that comes is consumed). */
        boolean answeredWithin(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                return in.read() >= 0;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } finally {
                socket.setSoTimeout(5000);
            }
        }

        /** Head and Content-Length body of the next answer. */
        String readAnswer() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed after " + head.toString(StandardCharsets.ISO_8859_1));
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return text + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
        }

        /** Nanoseconds from opening to the peer's close. */
        long awaitClose() throws IOException {
            try {
                while (in.read() >= 0) {
                    // drain
                }
            } catch (IOException reset) {
                // a reset is a close too
            }
            return System.nanoTime() - opened;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
