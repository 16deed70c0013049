package io.meshwork.proxy.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.TestControlPlane;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Captured traffic: on the outbound listener a tcp_proxy chain picked by the original
 * destination port, or passthrough for non-HTTP bytes that match no chain; on the inbound capture
 * listener the chain of the original port. Without root there is
 * no iptables capture, so the tests play SO_ORIGINAL_DST through the seam.
 */
class CapturedTrafficTest {

    /** A database client speaks its own protocol, not HTTP. */
    private static final byte[] HANDSHAKE = {0x0a, 0x35, 0x2e, 0x37, 0x00, 0x01, 0x02};

    private static final int INBOUND_DB_PORT = io.meshwork.proxy.testing.FreePort.pick();

    private TestControlPlane controlPlane;
    private ServerSocket database;
    private SidecarProxy sidecar;

    @BeforeEach
    void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        database = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread echo = new Thread(() -> {
            while (!database.isClosed()) {
                try (Socket socket = database.accept()) {
                    socket.getInputStream().transferTo(socket.getOutputStream());
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }
        });
        echo.setDaemon(true);
        echo.start();
        controlPlane.setSnapshot("app", "default", new MeshResources("default")
                .service("mysql", 3306, "tcp", List.of(Backend.of(database.getLocalPort(), "mysql-v1", "v1")))
                .service("reviews", 9080, "http", List.of(Backend.of(1, "reviews-v1", "v1")))
                .virtualHost("reviews", 9080, List.of())
                .inbound("127.0.0.1", INBOUND_DB_PORT, database.getLocalPort(), false, false)
                .snapshot("1"));
    }

    @AfterEach
    void stop() throws Exception {
        if (sidecar != null) {
            sidecar.drainAndStop();
        }
        database.close();
        controlPlane.close();
    }

    private void startSidecar(OriginalDestination originalDestination) {
        try {
            sidecar = new SidecarProxy(new SidecarProxy.Options(controlPlane.target(),
                    new NodeIdentity("app", "default", "default", "t"), "127.0.0.1", 0, 0, 0, 0, 0,
                    Duration.ofSeconds(1), 1), originalDestination).start();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        Eventually.await(Duration.ofSeconds(15), "the outbound listener", () -> sidecar.listenerPort("outbound") > 0);
    }

    private byte[] echoThroughOutbound() throws Exception {
        return echoThrough("outbound");
    }

    private byte[] echoThrough(String listener) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", sidecar.listenerPort(listener))) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(HANDSHAKE);
            out.flush();
            return socket.getInputStream().readNBytes(HANDSHAKE.length);
        }
    }

    @Test
    void aConnectionCapturedForATcpServicePortIsRelayedToThatService() throws Exception {
        startSidecar(channel -> new InetSocketAddress("10.96.0.20", 3306));

        assertThat(echoThroughOutbound()).isEqualTo(HANDSHAKE);

        Eventually.await(Duration.ofSeconds(5), "tcp byte counters for mysql", () -> sidecar.metrics().scrape()
                .contains("mesh_tcp_received_bytes_total{destination_service=\"mysql\""));
    }

    @Test
    void capturedNonHttpBytesForAnUnknownPortPassThroughToTheOriginalDestination() throws Exception {
        startSidecar(channel -> new InetSocketAddress("127.0.0.1", database.getLocalPort()));

        assertThat(echoThroughOutbound()).isEqualTo(HANDSHAKE);

        Eventually.await(Duration.ofSeconds(5), "tcp byte counters for the passthrough", () -> sidecar.metrics()
                .scrape().contains("mesh_tcp_received_bytes_total{destination_service=\"PassthroughCluster\""));
    }

    @Test
    void aConnectionCapturedOnTheInboundPortTakesTheChainOfItsOriginalPort() throws Exception {
        startSidecar(channel -> new InetSocketAddress("10.1.2.3", INBOUND_DB_PORT));
        Eventually.await(Duration.ofSeconds(15), "the inbound capture listener", () -> sidecar.listenerPort("inbound") > 0);

        assertThat(echoThrough("inbound")).isEqualTo(HANDSHAKE);
    }
}
