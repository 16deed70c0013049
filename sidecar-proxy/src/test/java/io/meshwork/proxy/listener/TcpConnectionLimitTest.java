package io.meshwork.proxy.listener;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TCP service's MeshCircuitBreaker maxConnections, end to end: the real control plane's circuit_breakers on the
 * tcp_proxy cluster, a sidecar relaying captured connections to an echo server on loopback, and the connection past
 * the limit closed at once and counted as upstream_cx_overflow.
 */
class TcpConnectionLimitTest {

    private static final String STATS = "cluster.outbound|5432||db.default.svc.cluster.local.";

    @TempDir
    Path configDir;
    private ServerSocket database;
    private ControlPlane controlPlane;
    private SidecarProxy sidecar;
    private final List<Socket> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Socket client : clients) {
            client.close();
        }
        if (sidecar != null) {
            sidecar.drainAndStop();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /** An echo server that serves each connection on its own thread for as long as the client keeps it. */
    private void startDatabase() throws IOException {
        database = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!database.isClosed()) {
                try {
                    Socket socket = database.accept();
                    Thread echo = new Thread(() -> {
                        try (socket) {
                            socket.getInputStream().transferTo(socket.getOutputStream());
                        } catch (IOException e) {
                            // the client or the test closed it
                        }
                    });
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    // closed at the end of the test
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A connection through the sidecar's outbound listener, captured as if headed for db:5432. */
    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", sidecar.listenerPort("outbound"));
        socket.setSoTimeout(5000);
        clients.add(socket);
        return socket;
    }

    /** Sends one byte and reads it back: -1 when the sidecar closed the connection instead. */
    private static int echo(Socket socket, int value) throws IOException {
        socket.getOutputStream().write(value);
        socket.getOutputStream().flush();
        try {
            return socket.getInputStream().read();
        } catch (java.net.SocketException reset) {
            return -1;
        }
    }

    private String adminStats() throws Exception {
        try (Socket admin = new Socket("127.0.0.1", sidecar.adminPort())) {
            admin.getOutputStream().write("GET /stats HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(admin.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void aConnectionPastMaxConnectionsIsClosedAtOnceAndCountedAsOverflow() throws Exception {
        startDatabase();
        new MeshConfigFolder(configDir).write("mesh.yaml", service("db", 5432, "tcp", Map.of("app", "db")),
                workload("db-0", Map.of("app", "db"), "tcp", database.getLocalPort()))
                .write("policies.yaml", PayMesh.policy("MeshCircuitBreaker", "{kind: Service, name: db}",
                        "maxConnections: 2\n").replace("name: pay", "name: db"));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                new NodeIdentity("app", "default", "default", "t"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(1), 1), channel -> new InetSocketAddress("10.96.0.30", 5432)).start();
        Eventually.await(Duration.ofSeconds(15), "the outbound listener with db's tcp_proxy chain",
                () -> sidecar.listenerPort("outbound") > 0 && sidecar.configStore().hasCompleteConfig());

        Socket first = connect();
        Socket second = connect();
        assertThat(echo(first, 1)).isEqualTo(1);
        assertThat(echo(second, 2)).isEqualTo(2);

        Socket third = connect();
        long start = System.nanoTime();
        int answer;
        try {
            answer = echo(third, 3);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection past max_connections was kept open", e);
        }
        long closedAfterMs = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("tcp max_connections 2: the third connection closed %d ms after its first byte%n",
                closedAfterMs);
        assertThat(answer).as("the third connection, past max_connections 2").isEqualTo(-1);
        assertThat(adminStats()).contains(STATS + "upstream_cx_overflow 1");
        assertThat(echo(first, 4)).as("the first two stay").isEqualTo(4);

        first.close();
        Eventually.await(Duration.ofSeconds(5), "a place free again once the first connection closed", () -> {
            try {
                return echo(connect(), 5) == 5;
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(echo(second, 6)).isEqualTo(6);
    }
}
