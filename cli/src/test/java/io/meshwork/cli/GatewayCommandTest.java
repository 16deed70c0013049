package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.samples.echo.EchoConfig;
import io.meshwork.samples.echo.EchoServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh gateway} as users run it: flags, errors, and a real gateway serving a folder's Gateway. */
class GatewayCommandTest {

    @TempDir
    Path dir;

    @Test
    void aGatewayListensOnItsListenersPortRoutesToTheBackendAndSaysWhereInOneLine() throws Exception {
        int port = freePort();
        try (EchoServer echo = EchoServer.start(EchoConfig.of("store", "v1", "store-1", "127.0.0.1", 0))) {
            Files.writeString(dir.resolve("mesh.yaml"), """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: store}
                    spec: {selector: {app: store}, ports: [{name: http, port: 8080, targetPort: http}]}
                    ---
                    apiVersion: meshwork.io/v1alpha1
                    kind: Workload
                    metadata: {name: store-1, labels: {app: store}}
                    spec: {address: 127.0.0.1, ports: {http: %d}}
                    ---
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: GatewayClass
                    metadata: {name: meshwork}
                    spec: {controllerName: meshwork.io/gateway-controller}
                    ---
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: Gateway
                    metadata: {name: web}
                    spec:
                      gatewayClassName: meshwork
                      listeners: [{name: http, port: %d, protocol: HTTP}]
                    ---
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: HTTPRoute
                    metadata: {name: store}
                    spec:
                      parentRefs: [{name: web}]
                      hostnames: [store.example.com]
                      rules: [{backendRefs: [{name: store, port: 8080}]}]
                    """.formatted(echo.port(), port));
            try (ControlPlane controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), dir)
                    .start()) {
                int admin = freePort();
                String[] args = {"gateway", "--xds", "127.0.0.1:" + controlPlane.xdsPort(), "--name", "web",
                    "--namespace", "default", "--instance", "test", "--admin-port", String.valueOf(admin),
                    "--health-port", String.valueOf(freePort()), "--metrics-port", String.valueOf(freePort())};
                CompletableFuture<CliRun> gateway = CompletableFuture.supplyAsync(() -> CliRun.run(args));
                HttpClient client = HttpClient.newHttpClient();
                HttpResponse<String> response = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (response == null && System.nanoTime() < deadline) {
                    try {
                        response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello"))
                                .timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                    } catch (IOException notYet) {
                        Thread.sleep(100);
                    }
                }
                assertThat(response).as("the gateway's listener on " + port).isNotNull();
                assertThat(response.statusCode()).as("127.0.0.1 is no host name a route serves").isEqualTo(404);
                assertThat(exchange(port, "GET /hello HTTP/1.1\r\nHost: store.example.com\r\nConnection: close\r\n\r\n"))
                        .startsWith("HTTP/1.1 200").containsIgnoringCase("x-echo-service: store");
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/quitquitquit"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                CliRun run = gateway.get(30, TimeUnit.SECONDS);

                assertThat(run.exitCode()).isZero();
                assertThat(run.err().lines().filter(l -> l.contains("Gateway default/web ready")))
                        .containsExactly("[xds-client] INFO io.meshwork.proxy.GatewayProxy - Gateway default/web "
                                + "ready: listening on 127.0.0.1:" + port + " (HTTP)");
            }
        }
    }

    private static String exchange(int port, String request) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void refusesToStartWithoutTheXdsAddressAndGatewayName() {
        CliRun run = CliRun.run("gateway", "--namespace", "default");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--xds").contains("--name");
    }

    @Test
    void takesMeshProxysPortFlagsButNoCapturePorts() {
        String usage = Main.newCommandLine().getSubcommands().get("gateway").getUsageMessage();

        assertThat(usage).startsWith("Usage: mesh gateway").contains("--admin-port", "--health-port", "--metrics-port",
                "--bind-address", "--admin-bind-address", "--token-file", "--concurrency", "--drain-timeout");
        assertThat(usage).doesNotContain("--outbound-port", "--inbound-port", "--workload=", "--app-probers");
    }

    @Test
    void namesTheFlagOfAnXdsAddressWithoutPort() {
        CliRun run = CliRun.run("gateway", "--xds", "localhost", "--name", "web", "--namespace", "default");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("error: --xds: \"localhost\" is not HOST:PORT");
    }
}
