package io.meshwork.proxy.filter.ratelimit;

import static io.meshwork.proxy.testing.MeshConfigFolder.meshedWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.NettyBackend;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.xds.NodeIdentity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshRateLimit end to end at the target's inbound side: YAML in a watched folder, the real control plane's
 * {@code envoy.filters.http.local_ratelimit} in pay-0's inbound listener, pay-0's real sidecar in front of a Netty
 * application on loopback, and a client sending straight to that inbound port at twice the configured rate.
 */
class RateLimitTest {

    private static final int RATE = 100;
    private static final int BURST = 20;

    @TempDir
    Path configDir;
    private NettyBackend app;
    private ControlPlane controlPlane;
    private SidecarProxy pay;
    private int inboundPort;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        app = new NettyBackend("pay-app", request -> 200);
        inboundPort = FreePort.pick();
        new MeshConfigFolder(configDir).write("mesh.yaml", service("pay", 8080, "http", Map.of("app", "pay")),
                meshedWorkload("pay-0", Map.of("app", "pay"), "pay", new TreeMap<>(Map.of("http", inboundPort)),
                        new TreeMap<>(Map.of("http", app.port()))),
                PayMesh.policy("MeshRateLimit", "{kind: Service, name: pay}",
                        "requestsPerSecond: " + RATE + "\nburst: " + BURST + "\n"));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        pay = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                new NodeIdentity("pay-0", "default", "pay", "test"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(2), 1)).start();
        Eventually.await(Duration.ofSeconds(15), "pay-0's inbound listener",
                () -> pay.configStore().hasCompleteConfig() && pay.listenerPort("inbound|" + inboundPort) > 0);
    }

    @AfterEach
    void stop() throws Exception {
        if (pay != null) {
            pay.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        app.close();
    }

    @Test
    void twiceTheRateIsHeldToTheConfiguredRateAndTheRestGet429WithRetryAfter() throws Exception {
        // 2 x 100 requests a second for 5 s, paced (one every 5 ms), each on its own, straight to the inbound port.
        int seconds = 5;
        int total = 2 * RATE * seconds;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + TimeUnit.MILLISECONDS.toNanos(1_000L * i / (2 * RATE));
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + inboundPort + "/"))
                    .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        long sentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        int accepted = 0;
        int limited = 0;
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(20, TimeUnit.SECONDS);
            if (response.statusCode() == 200) {
                accepted++;
                continue;
            }
            assertThat(response.statusCode()).isEqualTo(429);
            limited++;
            assertThat(response.body()).isEqualTo("local_rate_limited\n");
            assertThat(response.headers().firstValue("x-envoy-ratelimited")).hasValue("true");
            long retryAfter = Long.parseLong(response.headers().firstValue("retry-after").orElseThrow());
            assertThat(retryAfter).as("seconds until a token is back, rounded up").isEqualTo(1);
        }
        double sentSeconds = sentMillis / 1000.0;
        System.out.println("RateLimitTest " + total + " requests in " + sentMillis + " ms: " + accepted
                + " accepted, " + limited + " limited (" + RATE + "/s, burst " + BURST + ")");
        assertThat(accepted + limited).isEqualTo(total);
        // Accepted: the rate over the time sent, plus at most the bucket that was full at the start, within ±10%.
        assertThat((double) accepted).isBetween(0.9 * RATE * sentSeconds, 1.1 * RATE * sentSeconds + BURST);
        assertThat(app.requests()).as("limited requests never reach the application").isEqualTo(accepted);
        assertThat(stat("http_local_rate_limiter.http_local_rate_limit.rate_limited")).isEqualTo(limited);
        assertThat(stat("http_local_rate_limiter.http_local_rate_limit.ok")).isEqualTo(accepted);
        Matcher prometheus = Pattern.compile("mesh_rate_limited_requests_total\\{listener=\"inbound\\|" + inboundPort
                + "\"[^}]*} ([0-9.]+)").matcher(fetch(pay.metricsPort(), "/stats/prometheus"));
        assertThat(prometheus.find()).isTrue();
        assertThat((long) Double.parseDouble(prometheus.group(1))).isEqualTo(limited);
    }

    @Test
    void aBurstIsServedAtOnceAndTheNextRequestWaitsForTheRefill() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < BURST + 10; i++) {
            burst.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + inboundPort + "/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long ok = 0;
        for (CompletableFuture<HttpResponse<String>> answer : burst) {
            ok += answer.get(20, TimeUnit.SECONDS).statusCode() == 200 ? 1 : 0;
        }
        // At most a full bucket, and one refill (every burst / rate = 200 ms) if the burst straddled it.
        assertThat(ok).isBetween((long) BURST, 2L * BURST);
        Thread.sleep(1_000L * BURST / RATE + 50);
        assertThat(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + inboundPort + "/")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    private long stat(String name) throws Exception {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)$").matcher(fetch(pay.adminPort(), "/stats"));
        return line.find() ? Long.parseLong(line.group(1)) : 0;
    }

    private String fetch(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
