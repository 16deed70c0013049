package io.meshwork.proxy.endpoint;

import static io.meshwork.proxy.testing.MeshResources.millis;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.KeepaliveSettings;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream connections with real sockets: a blackholed HTTP/2 (gRPC) backend, which accepts the connection
 * and never answers, holds a call only until the route or stream idle timeout, and HTTP/2 keepalive finds it
 * dead sooner; a pooled connection idle past the cluster's idle timeout is closed.
 */
class UpstreamBoundsTest {

    private static final String CALL = "POST /echo.Echo/Say HTTP/1.1\r\nHost: grpc:7070\r\nContent-Type: application/grpc\r\n"
            + "Content-Length: 5\r\nConnection: close\r\n\r\n\0\0\0\0\0";

    private TestControlPlane controlPlane;
    private SidecarHarness harness;
    private ServerSocket backend;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    /** A backend that accepts connections and never sends a byte. */
    private void blackhole() throws IOException {
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!backend.isClosed()) {
                try {
                    accepted.add(backend.accept());
                } catch (IOException closed) {
                    return;
                }
            }
        }, "blackhole");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void start(String protocol, UnaryOperator<io.envoyproxy.envoy.extensions.filters.network
            .http_connection_manager.v3.HttpConnectionManager.Builder> hcm,
                       UnaryOperator<io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.Builder> options)
            throws Exception {
        controlPlane = new TestControlPlane().start();
        MeshResources mesh = new MeshResources("default")
                .service("grpc", 7070, protocol, List.of(Backend.of(backend.getLocalPort(), "grpc-v1", "v1")))
                .virtualHost("grpc", 7070, List.of())
                .protocolOptions("grpc", 7070, options)
                .outboundBounds(hcm, 0);
        harness = SidecarHarness.serving(controlPlane, mesh);
    }

    @AfterEach
    void stop() throws Exception {
        if (harness != null) {
            harness.close();
            controlPlane.close();
        }
        backend.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }

    @Test
    void aCallToABlackholedHttp2BackendEndsAtTheStreamIdleTimeout() throws Exception {
        blackhole();
        start("grpc", hcm -> hcm.setStreamIdleTimeout(millis(500)), options -> options);

        long start = System.nanoTime();
        String answer = RawExchange.exchange(harness.outboundPort(), CALL);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(answer).startsWith("HTTP/1.1 504").contains("stream_idle_timeout");
        assertThat(millis).isBetween(450L, 4000L);
        assertThat(accepted).isNotEmpty();
    }

    @Test
    void http2KeepaliveClosesABlackholedConnectionLongBeforeTheStreamIdleTimeout() throws Exception {
        blackhole();
        start("grpc", hcm -> hcm.setStreamIdleTimeout(millis(20_000)), options -> options.setExplicitHttpConfig(
                options.getExplicitHttpConfig().toBuilder().setHttp2ProtocolOptions(Http2ProtocolOptions.newBuilder()
                        .setConnectionKeepalive(KeepaliveSettings.newBuilder()
                                .setInterval(millis(200)).setTimeout(millis(200))))));

        long start = System.nanoTime();
        String answer = RawExchange.exchange(harness.outboundPort(), CALL);
        long millis = (System.nanoTime() - start) / 1_000_000;

        // The connection dies at the missing PING answer (the call has a body, so it is not retried).
        assertThat(answer).startsWith("HTTP/1.1 503").contains("closed before a response");
        assertThat(millis).isBetween(350L, 4000L);
        assertThat(accepted).hasSize(1);
    }

    @Test
    void aPooledConnectionIdlePastTheClustersIdleTimeoutIsClosed() throws Exception {
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("http", hcm -> hcm, options -> options.setCommonHttpProtocolOptions(
                HttpProtocolOptions.newBuilder().setIdleTimeout(millis(400))));
        CompletableFuture<Long> closedAfterResponse = CompletableFuture.supplyAsync(() -> {
            try (Socket upstream = backend.accept()) {
                InputStream in = upstream.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    head.write(in.read());
                }
                upstream.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
                long answered = System.nanoTime();
                upstream.setSoTimeout(5000);
                assertThat(in.read()).isEqualTo(-1);
                return (System.nanoTime() - answered) / 1_000_000;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });

        String answer = RawExchange.exchange(harness.outboundPort(),
                "GET / HTTP/1.1\r\nHost: grpc:7070\r\nConnection: close\r\n\r\n");
        long closedAfter = closedAfterResponse.get(10, TimeUnit.SECONDS);

        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("ok");
        assertThat(closedAfter).isBetween(350L, 4000L);
    }

}
