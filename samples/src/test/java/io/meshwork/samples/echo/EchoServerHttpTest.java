package io.meshwork.samples.echo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The echo server over HTTP/1.1 and h2c upgrade, with java.net.http as the independent client. */
class EchoServerHttpTest {

    private final HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private EchoServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private EchoServer start(EchoConfig config) throws InterruptedException {
        server = EchoServer.start(config);
        return server;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> get(HttpClient client, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A POST to /upload of {@code size} zero bytes, generated as sent. */
    private HttpRequest upload(long size) {
        return HttpRequest.newBuilder(uri("/upload"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(size)), size))
                .build();
    }

    @Test
    void http1AnswerNamesServiceVersionPodAndPath() throws Exception {
        start(EchoConfig.of("reviews", "v2", "reviews-v2-1", "127.0.0.1", 0));

        HttpResponse<String> response = get(http1, "/x?a=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(response.body()).startsWith(
                "{\"service\":\"reviews\",\"version\":\"v2\",\"pod\":\"reviews-v2-1\",\"protocol\":\"HTTP/1.1\","
                        + "\"method\":\"GET\",\"path\":\"/x?a=1\"");
    }

    @Test
    void h2cUpgradeIsAnsweredOverHttp2() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

        HttpResponse<String> first = get(http2, "/first");
        HttpResponse<String> second = get(http2, "/second");

        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(first.body()).contains("\"protocol\":\"HTTP/2\"", "\"path\":\"/first\"");
        assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(second.body()).contains("\"protocol\":\"HTTP/2\"", "\"path\":\"/second\"");
    }

    @Test
    void keepAliveConnectionServesManyRequests() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));

        for (int i = 0; i < 50; i++) {
            assertThat(get(http1, "/n" + i).body()).contains("\"path\":\"/n" + i + "\"");
        }
    }

    @Test
    void failureRateFlagFailsAboutThatShareOfRequests() throws Exception {
        start(new EchoConfig("reviews", "v3", "reviews-v3-1", "127.0.0.1", 0, Duration.ZERO, 0.2, null, null));

        int failures = 0;
        int calls = 1000;
        for (int i = 0; i < calls; i++) {
            if (get(http1, "/").statusCode() == 500) {
                failures++;
            }
        }

        // Binomial(1000, 0.2): mean 200, sd 12.6; the bounds are 5 sd away.
        assertThat(failures).isBetween(137, 263);
    }

    @Test
    void failHeaderOneFailsEveryRequestAndZeroNone() throws Exception {
        start(new EchoConfig("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0, Duration.ZERO, 0.5, null, null));

        for (int i = 0; i < 20; i++) {
            HttpResponse<String> failed = get(http1, "/", "x-echo-fail", "1");
            assertThat(failed.statusCode()).isEqualTo(500);
            assertThat(failed.body()).contains("\"error\":\"injected failure\"", "\"pod\":\"reviews-v1-1\"");
            assertThat(get(http1, "/", "x-echo-fail", "0").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void healthzIsNeverFailed() throws Exception {
        start(new EchoConfig("reviews", "v3", "reviews-v3-1", "127.0.0.1", 0, Duration.ZERO, 1.0, null, null));

        assertThat(get(http1, "/healthz").statusCode()).isEqualTo(200);
        assertThat(get(http1, "/other").statusCode()).isEqualTo(500);
    }

    @Test
    void latencyFlagDelaysEveryAnswer() throws Exception {
        start(new EchoConfig("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0, Duration.ofMillis(50), 0, null, null));
        get(http1, "/warm-up");

        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            long start = System.nanoTime();
            get(http1, "/");
            fastest = Math.min(fastest, System.nanoTime() - start);
        }

        assertThat(Duration.ofNanos(fastest)).isGreaterThanOrEqualTo(Duration.ofMillis(50));
    }

    @Test
    void latencyHeaderOverridesTheFlag() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));

        long start = System.nanoTime();
        HttpResponse<String> response = get(http1, "/", "x-echo-latency", "200ms");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    }

    @Test
    void malformedControlHeaderIsBadRequestNamingTheHeader() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));

        HttpResponse<String> latency = get(http1, "/", "x-echo-latency", "soon");
        HttpResponse<String> fail = get(http1, "/", "x-echo-fail", "2");

        assertThat(latency.statusCode()).isEqualTo(400);
        assertThat(latency.body()).contains("header x-echo-latency: duration \\\"soon\\\" does not parse");
        assertThat(fail.statusCode()).isEqualTo(400);
        assertThat(fail.body()).contains("header x-echo-fail: \\\"2\\\" is not a share in 0..1");
    }

    @Test
    void uploadOf100MegabytesIsCountedWhileStreaming() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));
        long size = 100L * 1024 * 1024;

        HttpResponse<String> response = http1.send(upload(size), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"bytes\":" + size);
    }

    @Test
    void largeUploadAskingForH2cStaysHttp1AndIsCounted() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));
        long size = 10L * 1024 * 1024;

        // java.net.http sends its first request on a fresh connection as an h2c upgrade.
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> response = http2.send(upload(size), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"bytes\":" + size);
    }

    @Test
    void upstreamCallGoesThroughTheProxyWithHostAndReturnsBothAnswers() throws Exception {
        try (EchoServer reviews = EchoServer.start(EchoConfig.of("reviews", "v2", "reviews-v2-1", "127.0.0.1", 0))) {
            // The reviews server stands in for the frontend's sidecar: it sees the proxied request.
            URI proxy = URI.create("http://127.0.0.1:" + reviews.port());
            start(new EchoConfig("frontend", "v1", "frontend-1", "127.0.0.1", 0, Duration.ZERO, 0, proxy, "reviews"));

            HttpResponse<String> response = get(http1, "/product/1", "x-canary", "true");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body())
                    .startsWith("{\"service\":\"frontend\"")
                    .contains("\"upstream\":{\"status\":200,\"body\":{\"service\":\"reviews\",\"version\":\"v2\"")
                    .contains("\"path\":\"/product/1\",\"host\":\"reviews\"");
            assertThat(response.headers().firstValue("x-echo-version")).hasValue("v1");
            assertThat(response.headers().firstValue("x-echo-upstream-version")).hasValue("v2");
            assertThat(response.headers().firstValue("x-echo-upstream-pod")).hasValue("reviews-v2-1");
        }
    }

    @Test
    void upstreamFailureIsTheCallersFailure() throws Exception {
        EchoConfig failing = new EchoConfig("reviews", "v3", "reviews-v3-1", "127.0.0.1", 0, Duration.ZERO, 1.0, null, null);
        try (EchoServer reviews = EchoServer.start(failing)) {
            URI proxy = URI.create("http://127.0.0.1:" + reviews.port());
            start(new EchoConfig("frontend", "v1", "frontend-1", "127.0.0.1", 0, Duration.ZERO, 0, proxy, "reviews"));

            HttpResponse<String> response = get(http1, "/");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("\"upstream\":{\"status\":500");
        }
    }

    @Test
    void unreachableUpstreamIsBadGateway() throws Exception {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI proxy = URI.create("http://127.0.0.1:" + closedPort);
        start(new EchoConfig("frontend", "v1", "frontend-1", "127.0.0.1", 0, Duration.ZERO, 0, proxy, "reviews"));

        HttpResponse<String> response = get(http1, "/");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("upstream reviews:");
    }

    /** {@code size} zero bytes, generated as read: the test holds no 100 MB array. */
    private static final class ZeroStream extends InputStream {
        private long left;

        ZeroStream(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            if (left == 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
