package io.meshwork.proxy.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import java.util.ArrayList;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Inbound listeners (HTTP and tcp_proxy) to the app on loopback, h2c upgrade, and the admin ports. */
class InboundAndAdminTest {

    private static TestControlPlane controlPlane;
    private static TestBackend app;
    private static ServerSocket tcpEcho;
    private static SidecarHarness harness;
    private static int httpInboundPort;
    private static int tcpInboundPort;
    private static final HttpClient DIRECT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        app = new TestBackend("productpage-app");
        tcpEcho = new ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
        Thread echo = new Thread(InboundAndAdminTest::echoLoop, "tcp-echo");
        echo.setDaemon(true);
        echo.start();
        httpInboundPort = FreePort.pick();
        tcpInboundPort = FreePort.pick();
        MeshResources mesh = new MeshResources("default")
                .service("reviews", 9080, "http", List.of(Backend.of(app.port(), "reviews-v1", "v1")))
                .virtualHost("reviews", 9080, List.of())
                .inbound("127.0.0.1", httpInboundPort, app.port(), true, false)
                .inbound("127.0.0.1", tcpInboundPort, tcpEcho.getLocalPort(), false, false);
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("7"));
        harness = new SidecarHarness(controlPlane);
        Eventually.await(Duration.ofSeconds(10), "inbound listeners",
                () -> harness.sidecar.listenerPort("inbound|" + tcpInboundPort) > 0
                        && harness.sidecar.listenerPort("inbound|" + httpInboundPort) > 0);
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
        app.close();
        tcpEcho.close();
        controlPlane.close();
    }

    private static void echoLoop() {
        while (!tcpEcho.isClosed()) {
            try (Socket socket = tcpEcho.accept()) {
                socket.getInputStream().transferTo(socket.getOutputStream());
            } catch (Exception e) {
                // closed at the end of the test
            }
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return DIRECT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anInboundHttpListenerForwardsToTheAppPortOnLoopback() throws Exception {
        HttpResponse<String> response = get(httpInboundPort, "/products");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("productpage-app /products");
    }

    @Test
    void anHttp2ClientUpgradingFromHttp11ReachesAnHttp11App() throws Exception {
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = h2.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpInboundPort + "/h2/" + i)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("productpage-app /h2/" + i);
            if (i > 0) {
                assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            }
        }
    }

    @Test
    void anInboundTcpListenerRelaysBytesBothWays() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", tcpInboundPort)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            byte[] payload = "ping over tcp_proxy".getBytes(StandardCharsets.UTF_8);
            out.write(payload);
            out.flush();
            byte[] echoed = socket.getInputStream().readNBytes(payload.length);
            assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("ping over tcp_proxy");
        }
        Eventually.await(Duration.ofSeconds(5), "tcp byte counters", () -> harness.sidecar.metrics().scrape()
                .contains("mesh_tcp_sent_bytes_total{destination_service=\"inbound|" + tcpEcho.getLocalPort()));
    }

    @Test
    void anHttp2UpgradeRequestIsAnsweredWithSwitchingProtocols() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", harness.outboundPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: reviews:9080\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[512];
            int n = in.read(buffer);
            assertThat(new String(buffer, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101");
        }
    }

    @Test
    void theHealthPortIsReadyOnceTheConfigIsComplete() throws Exception {
        HttpResponse<String> response = get(harness.sidecar.healthPort(), "/healthz/ready");
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void configDumpIsEnvoysFormatWithTheResourcesAsTheyCame() throws Exception {
        HttpResponse<String> response = get(harness.sidecar.adminPort(), "/config_dump");
        assertThat(response.statusCode()).isEqualTo(200);

        var dump = io.envoyproxy.envoy.admin.v3.ConfigDump.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().usingTypeRegistry(io.meshwork.proxy.admin.EnvoyConfigDump.types())
                .merge(response.body(), dump);
        var clusters = dump.getConfigsList().stream().filter(a -> a.is(io.envoyproxy.envoy.admin.v3.ClustersConfigDump.class))
                .findFirst().orElseThrow().unpack(io.envoyproxy.envoy.admin.v3.ClustersConfigDump.class);
        assertThat(clusters.getVersionInfo()).isEqualTo("7");
        List<String> clusterNames = new ArrayList<>();
        for (var cluster : clusters.getDynamicActiveClustersList()) {
            clusterNames.add(cluster.getCluster().unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName());
        }
        assertThat(clusterNames).contains("outbound|9080||reviews.default.svc.cluster.local");
        var listeners = dump.getConfigsList().stream().filter(a -> a.is(io.envoyproxy.envoy.admin.v3.ListenersConfigDump.class))
                .findFirst().orElseThrow().unpack(io.envoyproxy.envoy.admin.v3.ListenersConfigDump.class);
        assertThat(listeners.getDynamicListenersList()).extracting(l -> l.getName()).contains("inbound|" + httpInboundPort);
    }

    @Test
    void configSummaryShowsWhereEachListenerIsBound() throws Exception {
        HttpResponse<String> response = get(harness.sidecar.adminPort(), "/config_summary");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"type.googleapis.com/envoy.config.cluster.v3.Cluster\": \"7\"")
                .contains("\"address\": \"0.0.0.0:15001\"")
                .contains("\"bound\": \"127.0.0.1:" + harness.outboundPort() + "\"");
    }

    @Test
    void prometheusMetricsCarryTheIstioLabels() throws Exception {
        assertThat(harness.get("http://reviews:9080/x").statusCode()).isEqualTo(200);
        String metrics = get(harness.sidecar.metricsPort(), "/stats/prometheus").body();
        assertThat(metrics).containsPattern("mesh_requests_total\\{destination_service=\"reviews\","
                + "destination_version=\"v1\",destination_workload=\"reviews-v1\",response_code=\"200\","
                + "source_workload=\"productpage\"}")
                .contains("mesh_request_duration_milliseconds_bucket");
    }

    @Test
    void readyDetailsSayWhetherTheControlPlaneIsConnected() throws Exception {
        HttpResponse<String> response = get(harness.sidecar.adminPort(), "/ready");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("LIVE: control plane connected");
    }
}
