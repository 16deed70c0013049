package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.meshwork.injector.YamlDocuments;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The sidecar as the injected pod spec runs it: admin (config dump, drain, quit) answers on loopback
 * only, while health and metrics are reachable on the pod's address, where kubelet and Prometheus call.
 */
class InjectedProxyAdminTest {

    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-0, namespace: shop, labels: {app: web}}
            spec:
              containers:
              - {name: web, image: nginx:1.27}
            """;

    @TempDir
    Path dir;

    @Test
    void theInjectedSidecarsAdminIsUnreachableFromANonLoopbackAddress() throws Exception {
        InetAddress podAddress = nonLoopbackAddress();
        assumeThat(podAddress).as("a non-loopback IPv4 address on this host").isNotNull();
        List<String> args = injectedProxyArgs();
        Map<String, Integer> ports = Map.of("--admin-port", freePort(), "--health-port", freePort(),
                "--metrics-port", freePort(), "--outbound-port", freePort(), "--inbound-port", freePort());
        // Identity is not what this test is about: no CA runs here, so the sidecar starts without a certificate.
        for (String flag : List.of("--token-file", "--ca-address", "--ca-root-file")) {
            int at = args.indexOf(flag);
            assertThat(at).as("the injected sidecar's %s", flag).isNotNegative();
            args.subList(at, at + 2).clear();
        }
        List<String> run = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i).replace("$(POD_NAME)", "web-0").replace("$(POD_NAMESPACE)", "shop")
                    .replace("$(SERVICE_ACCOUNT)", "web");
            String flag = i > 0 ? args.get(i - 1) : "";
            run.add(ports.containsKey(flag) ? ports.get(flag).toString() : flag.equals("--xds") ? "127.0.0.1:1" : arg);
        }
        CompletableFuture<Integer> proxy = CompletableFuture.supplyAsync(() -> Main.execute(run.toArray(String[]::new)));
        int admin = ports.get("--admin-port");
        try {
            awaitListening(InetAddress.getLoopbackAddress(), ports.get("--health-port"));

            assertThatThrownBy(() -> connect(podAddress, admin)).isInstanceOf(ConnectException.class);
            connect(podAddress, ports.get("--health-port"));
            connect(podAddress, ports.get("--metrics-port"));
            assertThat(get("http://127.0.0.1:" + admin + "/stats").statusCode()).isEqualTo(200);
            HttpResponse<String> crossOrigin = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin
                    + "/quitquitquit")).header("Origin", "https://attacker.example").POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(crossOrigin.statusCode()).isEqualTo(403);
            assertThat(crossOrigin.body()).contains("cross-origin");
        } finally {
            HttpResponse<String> quit = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin
                    + "/quitquitquit")).POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(quit.statusCode()).isEqualTo(200);
            assertThat(proxy.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    private List<String> injectedProxyArgs() throws Exception {
        Path in = Files.writeString(dir.resolve("pod.yaml"), POD);
        Path out = dir.resolve("pod-injected.yaml");
        assertThat(Main.execute("inject", "-f", in.toString(), "-o", out.toString())).isZero();
        JsonNode pod = YamlDocuments.read(Files.readString(out), "out").get(0);
        for (String containers : new String[] {"/spec/initContainers", "/spec/containers"}) {
            for (JsonNode container : pod.at(containers)) {
                if (container.get("name").asText().equals("mesh-proxy")) {
                    List<String> args = new ArrayList<>();
                    container.get("args").forEach(arg -> args.add(arg.asText()));
                    assertThat(args).containsSequence("--bind-address", "0.0.0.0")
                            .containsSequence("--admin-bind-address", "127.0.0.1");
                    return args;
                }
            }
        }
        throw new AssertionError("no mesh-proxy container in " + pod);
    }

    private static InetAddress nonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address) {
                    return address;
                }
            }
        }
        return null;
    }

    private static void connect(InetAddress address, int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 2000);
        }
    }

    private static void awaitListening(InetAddress address, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                connect(address, port);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the sidecar's health port " + port + " never listened", e);
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
