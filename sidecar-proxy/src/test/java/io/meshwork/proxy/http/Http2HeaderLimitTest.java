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
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 requests with oversized headers get the sidecar's 431 on their stream, as on HTTP/1.1 (and
 * headers that make no request, its 400), and the connection goes on serving: by prior knowledge and
 * after an h2c upgrade, through the outbound listener to real loopback backends.
 */
class Http2HeaderLimitTest {

    /** ProtocolDetector.MAX_HEADER_BYTES: Envoy's default of 60 KiB. */
    private static final int LIMIT = 60 * 1024;
    private static final String TOO_LARGE = "request headers are larger than the sidecar accepts\n";

    private static TestControlPlane controlPlane;
    private static TestBackend reviews;
    /** Answers with the length of the x-big header it got (TestBackend would echo it back whole). */
    private static HttpServer sizes;
    private static SidecarHarness harness;

    @BeforeAll
    static void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        reviews = new TestBackend("reviews-v1");
        sizes = TestBackend.loopbackServer();
        sizes.createContext("/", exchange -> {
            String big = exchange.getRequestHeaders().getFirst("x-big");
            byte[] body = ("x-big " + (big == null ? 0 : big.length())).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        sizes.start();
        MeshResources mesh = new MeshResources("default")
                .service("reviews-v1", 9080, "http", List.of(Backend.of(reviews.port(), "reviews-v1", "v1")))
                .service("sizes", 9080, "http", List.of(Backend.of(sizes.getAddress().getPort(), "sizes-v1", "v1")))
                .virtualHost("reviews-v1", 9080, List.of())
                .virtualHost("sizes", 9080, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
        reviews.close();
        sizes.stop(0);
        controlPlane.close();
    }

    private static Http2Headers big(int bytes) {
        return new DefaultHttp2Headers().add("x-big", "x".repeat(bytes));
    }

    /** A request whose header list is exactly {@code size} bytes (RFC 9113: name + value + 32 per field). */
    private static Http2Headers sizedRequest(String path, int size) {
        Http2Headers headers = Http2TestClient.requestHeaders("GET", "sizes:9080", path);
        int used = 0;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            used += field.getKey().length() + field.getValue().length() + 32;
        }
        return headers.add("x-big", "x".repeat(size - used - "x-big".length() - 32));
    }

    private static void assertTooLarge(Response response) {
        assertThat(response.status()).isEqualTo(431);
        assertThat(response.headers().get("x-meshwork-error")).hasToString("true");
        assertThat(response.body()).isEqualTo(TOO_LARGE);
    }

    /** The same connection, never told to go away, still carries a request to the backend. */
    private static void assertServesTheNextRequest(Http2TestClient client) throws Exception {
        Response next = client.get("reviews-v1:9080", "/next", new DefaultHttp2Headers());
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("reviews-v1 /next");
        assertThat(client.connectionUsable()).isTrue();
    }

    @Test
    void oversizedHeadersGet431AndTheConnectionServesTheNextRequest() throws Exception {
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            assertTooLarge(client.get("reviews-v1:9080", "/big", big(70 * 1024)));
            assertServesTheNextRequest(client);
        }
    }

    @Test
    void anAuthorityAndAHostThatDifferGet400NamingThemAndTheConnectionGoesOn() throws Exception {
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            Response response = client.get("reviews-v1:9080", "/a",
                    new DefaultHttp2Headers().add("host", "sizes:9080"));
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.headers().get("x-meshwork-error")).hasToString("true");
            assertThat(response.body()).startsWith("malformed request: ").contains(":authority").contains("host");
            assertServesTheNextRequest(client);
        }
    }

    @Test
    void aHeaderListOfExactlyTheLimitReachesTheBackend() throws Exception {
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            Http2Headers request = sizedRequest("/at-limit", LIMIT);
            Response response = client.exchange(request, null, true);

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("x-big " + request.get("x-big").length());
        }
    }

    @Test
    void aHeaderListOneByteOverTheLimitGets431() throws Exception {
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            assertTooLarge(client.exchange(sizedRequest("/over", LIMIT + 1), null, true));
        }
    }

    @Test
    void anOversizedRequestStillSendingItsBodyGets431ThenAResetWithoutError() throws Exception {
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            Http2Headers headers = Http2TestClient.requestHeaders("POST", "reviews-v1:9080", "/upload")
                    .add(big(70 * 1024));
            Response response = client.exchange(headers, "the first part of a longer body", false);

            assertTooLarge(response);
            assertThat(response.resetCode()).isEqualTo(Http2Error.NO_ERROR.code());
            assertServesTheNextRequest(client);
        }
    }

    @Test
    void afterAnH2cUpgradeOversizedHeadersGet431AndTheConnectionServesTheNextRequest() throws Exception {
        try (Http2TestClient client = Http2TestClient.upgrade(harness.outboundPort(), "reviews-v1:9080", "/upgrade",
                Map.of())) {
            assertThat(client.upgradeResponse().body()).isEqualTo("reviews-v1 /upgrade");

            assertTooLarge(client.get("reviews-v1:9080", "/big", big(70 * 1024)));
            assertServesTheNextRequest(client);
        }
    }

    @Test
    void anH2cUpgradeRequestIsHeldOnlyToTheHttp11Limit() throws Exception {
        // Under the limit as HTTP/1.1 header lines, over it as an HTTP/2 header list (32 bytes more per field).
        String value = "x".repeat(LIMIT - 150);
        try (Http2TestClient client = Http2TestClient.upgrade(harness.outboundPort(), "sizes:9080", "/upgrade",
                Map.of("x-big", value))) {
            Response response = client.upgradeResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("x-big " + value.length());
        }
    }
}
