package io.meshwork.proxy.http;

import static io.meshwork.proxy.testing.MeshResources.clusterName;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The outbound listener end to end: a real control plane, the sidecar, real backends on loopback. */
class OutboundRoutingTest {

    private static TestControlPlane controlPlane;
    private static TestBackend v1;
    private static TestBackend v2;
    private static SidecarHarness harness;

    @BeforeAll
    static void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        v1 = new TestBackend("reviews-v1");
        v2 = new TestBackend("reviews-v2");
        MeshResources mesh = new MeshResources("default")
                .service("reviews", 9080, "http", List.of(Backend.of(v1.port(), "reviews-v1", "v1"),
                        Backend.of(v2.port(), "reviews-v2", "v2")))
                .service("reviews-v1", 9080, "http", List.of(Backend.of(v1.port(), "reviews-v1", "v1")))
                .service("reviews-v2", 9080, "http", List.of(Backend.of(v2.port(), "reviews-v2", "v2")))
                .service("ratings", 9080, "http", List.of(new Backend("127.0.0.1", 1, "ratings-v1", "v1", false)))
                .virtualHost("reviews", 9080, List.of(
                        MeshResources.weightedRoute(MeshResources.regexMatch("/canary/.*", Map.of("x-user", "tester")),
                                Map.of(clusterName("reviews-v2", "default", 9080), 1)),
                        MeshResources.weightedRoute(MeshResources.prefix("/"),
                                Map.of(clusterName("reviews-v1", "default", 9080), 90,
                                        clusterName("reviews-v2", "default", 9080), 10))))
                .virtualHost("reviews-v1", 9080, List.of())
                .virtualHost("ratings", 9080, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
        v1.close();
        v2.close();
        controlPlane.close();
    }

    @Test
    void splitsTrafficNinetyTenWithinThreePointsOverTwoThousandRequests() throws Exception {
        int toV2 = 0;
        for (int i = 0; i < 2000; i++) {
            HttpResponse<String> response = harness.get("http://reviews:9080/reviews/" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            if (response.body().startsWith("reviews-v2")) {
                toV2++;
            }
        }
        assertThat(toV2 / 2000.0).isBetween(0.07, 0.13);
    }

    @Test
    void routesByPathRegexAndHeaderBeforeTheDefaultSplit() throws Exception {
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = harness.client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://reviews.default.svc.cluster.local:9080/canary/x"))
                    .header("x-user", "tester").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.body()).startsWith("reviews-v2 /canary/x");
        }
    }

    @Test
    void addsARequestIdAndPassesTraceHeadersThrough() throws Exception {
        HttpResponse<String> response = harness.client.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://reviews-v1:9080/"))
                .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .header("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("x-seen-x-request-id")).hasValueSatisfying(id ->
                assertThat(id).hasSize(36));
        assertThat(response.headers().firstValue("x-seen-traceparent"))
                .hasValue("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(response.headers().firstValue("x-seen-b3")).hasValue("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
    }

    @Test
    void routesByHostHeaderWithAndWithoutPort() throws Exception {
        assertThat(rawRequest("GET /a HTTP/1.1\r\nHost: reviews-v1\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200").endsWith("reviews-v1 /a");
        assertThat(rawRequest("GET /b HTTP/1.1\r\nHost: reviews-v1.default:9080\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200").endsWith("reviews-v1 /b").doesNotContainIgnoringCase("x-seen-transfer-encoding");
    }

    @Test
    void answersAnUnknownHostWith404NamingTheHost() throws Exception {
        HttpResponse<String> response = harness.get("http://details:9080/");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("\"details:9080\"");
    }

    @Test
    void aHeadResponseGetsNoLengthItDidNotHaveAndNoBodySoTheNextResponseFollows() throws Exception {
        // The JDK backend answers HEAD without Content-Length; the sidecar, which reads the response
        // whole, must not make one up from its empty body (a client would take it as the resource's).
        String response = rawRequest("HEAD /a HTTP/1.1\r\nHost: reviews-v1:9080\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: reviews-v1:9080\r\nConnection: close\r\n\r\n");
        String[] heads = response.split("\r\n\r\n", 2);
        assertThat(heads[0]).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("content-length")
                .doesNotContainIgnoringCase("transfer-encoding");
        assertThat(heads[1]).startsWith("HTTP/1.1 200").endsWith("reviews-v1 /b");
    }

    @Test
    void anErrorNamingAHostOutsideAsciiSaysItsLengthInBytes() throws Exception {
        // The host's byte 0xE9 is one char of the decoded header and two bytes of the UTF-8 body.
        String response = rawRequest("GET / HTTP/1.1\r\nHost: caf\u00e9\r\nConnection: close\r\n\r\n");
        String head = response.substring(0, response.indexOf("\r\n\r\n"));
        String body = response.substring(head.length() + 4);
        assertThat(head).startsWith("HTTP/1.1 404").containsIgnoringCase("content-length: " + body.length());
        assertThat(new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8))
                .contains("\"caf\u00e9\"").endsWith("\n");
    }

    @Test
    void answersAServiceWithoutHealthyEndpointsWith503NamingTheService() throws Exception {
        HttpResponse<String> response = harness.get("http://ratings:9080/");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("no healthy upstream for service ratings");
    }

    @Test
    void answersAMalformedRequestWith400() throws Exception {
        assertThat(rawRequest("GET /a HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(rawRequest("NOT A REQUEST\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(rawRequest("GET /a HTTP/1.1\r\nHost: reviews-v1\r\nBad Name: x\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(rawRequest("GET /a HTTP/1.1\r\nHost : reviews-v1\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(rawRequest("POST /a HTTP/1.1\r\nHost: reviews-v1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"))
                .startsWith("HTTP/1.1 400");
    }

    @Test
    void servesAFirstRequestWhoseHeadersArriveInPieces() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", harness.outboundPort())) {
            socket.setSoTimeout(5000);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            for (String piece : List.of("GET /pieces HTTP/1.1\r\nHo", "st: reviews-v1\r\nUpgr", "ade-Insecure-Requests: 1\r\n",
                    "Connection: close\r\n\r", "\n")) {
                out.write(piece.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(50);
            }
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 200").contains("reviews-v1 /pieces");
        }
    }

    @Test
    void answersOversizedHeadersWith431() throws Exception {
        String big = "x".repeat(70 * 1024);
        assertThat(rawRequest("GET /a HTTP/1.1\r\nHost: reviews-v1\r\nx-big: " + big + "\r\n\r\n"))
                .startsWith("HTTP/1.1 431");
    }

    @Test
    void answersPipelinedRequestsInOrderOnOneConnection() throws Exception {
        // Sent in one write, so the sidecar decodes later requests while the first is in flight; one of
        // them is answered by the sidecar itself, one carries a body.
        String responses = rawRequest("GET /one HTTP/1.1\r\nHost: reviews-v1\r\n\r\n"
                + "GET /two HTTP/1.1\r\nHost: details:9080\r\n\r\n"
                + "POST /upload-three HTTP/1.1\r\nHost: reviews-v1\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /four HTTP/1.1\r\nHost: reviews-v1\r\nConnection: close\r\n\r\n");
        Matcher status = Pattern.compile("HTTP/1\\.1 (\\d{3}) ").matcher(responses);
        List<String> codes = new ArrayList<>();
        while (status.find()) {
            codes.add(status.group(1));
        }
        assertThat(codes).containsExactly("200", "404", "200", "200");
        int one = responses.indexOf("reviews-v1 /one");
        int two = responses.indexOf("\"details:9080\"");
        int three = responses.indexOf("\r\n\r\n5", two);
        int four = responses.indexOf("reviews-v1 /four");
        assertThat(one).isPositive();
        assertThat(two).isGreaterThan(one);
        assertThat(three).as("the upload's answer (its body length) third").isGreaterThan(two);
        assertThat(four).isGreaterThan(three);
    }

    @Test
    void saysKeepAliveOnlyToHttp10ClientsAndCloseWhenItCloses() throws Exception {
        // The upstream's own Connection header is hop-by-hop: it never reaches the client.
        String responses = rawRequest("GET /one HTTP/1.1\r\nHost: reviews-v1\r\n\r\n"
                + "GET /two HTTP/1.0\r\nHost: reviews-v1\r\nConnection: keep-alive\r\n\r\n"
                + "GET /three HTTP/1.1\r\nHost: nowhere\r\n\r\n"
                + "GET /four HTTP/1.1\r\nHost: reviews-v1\r\nConnection: close\r\n\r\n").toLowerCase(Locale.ROOT);
        List<String> heads = new ArrayList<>();
        for (String part : responses.split("http/1\\.1 ")) {
            if (!part.isEmpty()) {
                heads.add(part.substring(0, part.indexOf("\r\n\r\n")));
            }
        }
        assertThat(heads).hasSize(4);
        assertThat(heads.get(0)).startsWith("200").doesNotContain("connection:");
        assertThat(heads.get(1)).startsWith("200").contains("connection: keep-alive");
        assertThat(heads.get(2)).startsWith("404").doesNotContain("connection:");
        assertThat(heads.get(3)).startsWith("200").contains("connection: close");
    }

    private static String rawRequest(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", harness.outboundPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // Every request here ends the connection (Connection: close, or an error the sidecar answers);
            // pipelined requests end with one that says close.
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
