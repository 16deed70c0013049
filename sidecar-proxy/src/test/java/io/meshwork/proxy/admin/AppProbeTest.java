package io.meshwork.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The kubelet's probes of the app, rewritten by the injector, answered by the sidecar's health port. */
class AppProbeTest {

    private static HttpServer app;
    private static final List<String> seenHosts = new CopyOnWriteArrayList<>();
    private static ServerSocket silent;
    private static final List<Socket> silentConnections = new CopyOnWriteArrayList<>();
    private static Server grpcApp;
    private static HealthStatusManager grpcHealth;
    private static TestControlPlane controlPlane;
    private static SidecarProxy sidecar;
    private static final HttpClient kubelet = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        app = TestBackend.loopbackServer();
        app.createContext("/", exchange -> {
            seenHosts.add(exchange.getRequestHeaders().getFirst("Host") + " " + exchange.getRequestHeaders().getFirst("X-Probe"));
            int status = switch (exchange.getRequestURI().getPath()) {
                case "/healthz" -> 200;
                case "/moved" -> 302;
                default -> 500;
            };
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        app.start();
        silent = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    silentConnections.add(silent.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-app");
        acceptor.setDaemon(true);
        acceptor.start();
        grpcHealth = new HealthStatusManager();
        grpcHealth.setStatus("", ServingStatus.SERVING);
        grpcHealth.setStatus("reviews.Reviews", ServingStatus.NOT_SERVING);
        grpcApp = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(grpcHealth.getHealthService()).build().start();

        int http = app.getAddress().getPort();
        int closedPort = FreePort.pick();
        String probers = """
                {
                  "/app-health/app/livez": {"httpGet": {"path": "/healthz", "port": %1$d, "scheme": "HTTP"}},
                  "/app-health/app/readyz": {"httpGet": {"path": "/broken", "port": %1$d}, "timeoutSeconds": 2},
                  "/app-health/app/startupz": {"httpGet": {"path": "/moved", "port": %1$d, "host": "app.example",
                      "httpHeaders": [{"name": "X-Probe", "value": "startup"}]}},
                  "/app-health/down/livez": {"httpGet": {"path": "/healthz", "port": %2$d}},
                  "/app-health/silent/readyz": {"httpGet": {"path": "/healthz", "port": %3$d}, "timeoutSeconds": 1},
                  "/app-health/tcp/livez": {"tcpSocket": {"port": %1$d}},
                  "/app-health/tcp/readyz": {"tcpSocket": {"port": %2$d}},
                  "/app-health/grpc/livez": {"grpc": {"port": %4$d}},
                  "/app-health/grpc/readyz": {"grpc": {"port": %4$d, "service": "reviews.Reviews"}},
                  "/app-health/grpc/startupz": {"grpc": {"port": %1$d}}
                }
                """.formatted(http, closedPort, silent.getLocalPort(), grpcApp.getPort());
        controlPlane = new TestControlPlane().start();
        sidecar = new SidecarProxy(new SidecarProxy.Options(controlPlane.target(),
                new NodeIdentity("productpage", "default", "bookinfo-productpage", "probes"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(1), 1, AppProbes.parse(probers))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        sidecar.drainAndStop();
        controlPlane.close();
        app.stop(0);
        silent.close();
        for (Socket socket : silentConnections) {
            socket.close();
        }
        grpcApp.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> probe(String path) throws Exception {
        return kubelet.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.healthPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void httpProbeOfAHealthyAppAnswers200() throws Exception {
        HttpResponse<String> response = probe("/app-health/app/livez");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("/healthz").contains("200");
    }

    @Test
    void httpProbeAnsweredWith500Answers503NamingTheStatus() throws Exception {
        HttpResponse<String> response = probe("/app-health/app/readyz");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("/broken").contains("500");
    }

    @Test
    void httpProbeAcceptsARedirectAndSendsTheProbesHostAndHeaders() throws Exception {
        HttpResponse<String> response = probe("/app-health/app/startupz?ignored=1");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(seenHosts).contains("app.example startup");
    }

    @Test
    void httpProbeOfAPortNobodyListensOnAnswers503() throws Exception {
        assertThat(probe("/app-health/down/livez").statusCode()).isEqualTo(503);
    }

    @Test
    void httpProbeOfAnAppThatNeverAnswersAnswers503AfterItsTimeout() throws Exception {
        HttpResponse<String> response = probe("/app-health/silent/readyz");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("no answer within 1000 ms");
    }

    @Test
    void tcpProbeAnswers200WhenTheAppAcceptsAnd503WhenNot() throws Exception {
        assertThat(probe("/app-health/tcp/livez").statusCode()).isEqualTo(200);
        assertThat(probe("/app-health/tcp/readyz").statusCode()).isEqualTo(503);
    }

    @Test
    void grpcProbeCallsTheStandardHealthCheck() throws Exception {
        HttpResponse<String> serving = probe("/app-health/grpc/livez");
        assertThat(serving.statusCode()).isEqualTo(200);
        assertThat(serving.body()).contains("SERVING");
        HttpResponse<String> notServing = probe("/app-health/grpc/readyz");
        assertThat(notServing.statusCode()).isEqualTo(503);
        assertThat(notServing.body()).contains("reviews.Reviews").contains("NOT_SERVING");
    }

    @Test
    void grpcProbeOfAServerWithoutGrpcAnswers503() throws Exception {
        assertThat(probe("/app-health/grpc/startupz").statusCode()).isEqualTo(503);
    }

    @Test
    void aPathWithoutAProbeAnswers404AndTheSidecarsOwnReadinessStillWorks() throws Exception {
        assertThat(probe("/app-health/other/livez").statusCode()).isEqualTo(404);
        // No config from the (empty) control plane yet: the sidecar itself is not ready.
        assertThat(probe("/healthz/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void malformedProbersAreRejectedNamingThePathAndTheField() {
        assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/livez\": {\"httpGet\": {\"path\": \"/\"}}}"))
                .hasMessageContaining("/app-health/app/livez").hasMessageContaining("httpGet.port is missing");
        assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/livez\": {\"exec\": {}}}"))
                .hasMessageContaining("none of httpGet, tcpSocket, grpc");
        assertThatThrownBy(() -> AppProbes.parse("not json")).hasMessageContaining(AppProbes.ENV);
        assertThat(AppProbes.parse("").byPath()).isEmpty();
    }
}
