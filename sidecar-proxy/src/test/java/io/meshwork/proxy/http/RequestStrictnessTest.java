package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.RawExchange;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Request heads RFC 9112 says to refuse: answered at once, never forwarded, the connection closed. */
class RequestStrictnessTest {

    private TestControlPlane controlPlane;
    private TestBackend backend;
    private SidecarHarness harness;

    @BeforeEach
    void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        backend = new TestBackend("echo-v1");
        MeshResources mesh = new MeshResources("default")
                .service("echo", 8080, "http", List.of(Backend.of(backend.port(), "echo-v1", "v1")))
                .virtualHost("echo", 8080, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        backend.close();
        controlPlane.close();
    }

    @Test
    void anHttpVersionOtherThan10Or11Is505() throws Exception {
        assertThat(exchange("GET /v HTTP/9.9\r\nHost: echo:8080\r\n\r\n"))
                .startsWith("HTTP/1.1 505").contains("HTTP version HTTP/9.9 is not supported").doesNotContain("echo-v1");
    }

    @Test
    void twoHostHeadersAre400() throws Exception {
        assertThat(exchange("GET /h HTTP/1.1\r\nHost: echo:8080\r\nHost: other:8080\r\n\r\n"))
                .startsWith("HTTP/1.1 400").contains("more than one Host header").doesNotContain("echo-v1");
    }

    @Test
    void bareLineFeedsAreAnsweredAtOnceNotWaitedOn() throws Exception {
        long start = System.nanoTime();
        String response = exchange("GET /lf HTTP/1.1\nHost: echo:8080\n\n");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response).startsWith("HTTP/1.1 400").doesNotContain("echo-v1");
        assertThat(millis).as("answered in %d ms (it waited 30 s and more for a CRLF CRLF)", millis).isLessThan(3_000);
    }

    @Test
    void aTransferEncodingThatDoesNotEndWithOneChunkedIs400() throws Exception {
        for (String coding : new String[] {"gzip", "chunked, gzip", "chunked, chunked", "identity"}) {
            assertThat(exchange("POST /upload HTTP/1.1\r\nHost: echo:8080\r\nTransfer-Encoding: " + coding
                    + "\r\n\r\n3\r\nabc\r\n0\r\n\r\n")).as(coding)
                    .startsWith("HTTP/1.1 400").contains("chunked").doesNotContain("echo-v1");
        }
        assertThat(exchange("POST /upload HTTP/1.1\r\nHost: echo:8080\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n")).startsWith("HTTP/1.1 200").endsWith("3");
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestIsAnsweredThenClosed() throws Exception {
        String response = RawExchange.halfClosedExchange(harness.outboundPort(),
                "GET /half HTTP/1.1\r\nHost: echo:8080\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").contains("echo-v1");
    }

    @Test
    void everyRequestPipelinedBeforeAHalfCloseIsAnswered() throws Exception {
        String response = RawExchange.halfClosedExchange(harness.outboundPort(),
                "GET /one HTTP/1.1\r\nHost: echo:8080\r\n\r\nGET /two HTTP/1.1\r\nHost: echo:8080\r\n\r\n");

        assertThat(response.split("HTTP/1.1 200", -1)).as(response).hasSize(3);
        assertThat(response.indexOf("/one")).isLessThan(response.indexOf("/two"));
    }

    @Test
    void aHalfCloseInTheMiddleOfAHeadEndsTheConnectionAtOnce() throws Exception {
        long start = System.nanoTime();
        String response = RawExchange.halfClosedExchange(harness.outboundPort(), "GET /cut HTTP/1.1\r\nHost: ech");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response).doesNotContain("echo-v1");
        assertThat(millis).as("closed after %d ms", millis).isLessThan(3_000);
    }

    private String exchange(String raw) throws IOException {
        return RawExchange.exchange(harness.outboundPort(), raw);
    }
}
