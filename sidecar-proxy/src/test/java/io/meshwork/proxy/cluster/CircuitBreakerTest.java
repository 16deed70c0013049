package io.meshwork.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.testing.ScriptedBackend;
import io.meshwork.proxy.testing.SidecarHarness;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshCircuitBreaker end to end: YAML in a watched folder, the real control plane's circuit_breakers over CDS, the
 * sidecar (one event loop) holding requests to a backend on loopback that answers only when the test lets it, and the
 * overflow answered 503 at once with {@code x-mesh-overflow}.
 */
class CircuitBreakerTest {

    private static final String PAY = PayMesh.URL;
    private static final String CLUSTER = PayMesh.STATS;

    @TempDir
    Path configDir;
    private final CountDownLatch release = new CountDownLatch(1);
    private ScriptedBackend backend;
    private PayMesh mesh;
    private SidecarHarness harness;

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (mesh != null) {
            mesh.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** Service pay:8080 on one backend that holds every request until {@link #release}, under {@code limits}. */
    private void startMesh(String limits) throws Exception {
        backend = new ScriptedBackend("pay-0", exchange -> release.await(30, TimeUnit.SECONDS) ? 200 : 504);
        mesh = new PayMesh(configDir, List.of(backend), PayMesh.policy("MeshCircuitBreaker",
                "{kind: Service, name: pay, port: 8080}", limits));
        harness = mesh.harness;
    }

    /** {@code count} GETs sent at once, each on its own connection, held by the backend until released. */
    private List<CompletableFuture<HttpResponse<String>>> hold(int count) {
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            held.add(harness.client.sendAsync(HttpRequest.newBuilder(URI.create(PAY)).timeout(Duration.ofSeconds(30))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        return held;
    }

    private String fetch(int port, String path) throws Exception {
        return mesh.fetch(port, path);
    }

    @Test
    void atMaxRequestsTheNextRequestIsAnswered503AtOnceNamingTheLimit() throws Exception {
        startMesh("maxRequests: 4\n");
        List<CompletableFuture<HttpResponse<String>>> held = hold(4);
        Eventually.await(Duration.ofSeconds(10), "4 requests held at the backend", () -> backend.requests() == 4);

        int overflows = 300;
        long[] micros = new long[overflows];
        for (int i = 0; i < overflows; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = harness.get(PAY);
            micros[i] = (System.nanoTime() - start) / 1_000;
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("x-mesh-overflow")).hasValue("max_requests");
        }
        Arrays.sort(micros);
        System.out.printf("max_requests overflow, %d requests one after another on a kept-alive connection, as the "
                + "client saw it: p50 %d us, p90 %d us, p99 %d us, max %d us%n", overflows, micros[overflows / 2],
                micros[overflows * 9 / 10], micros[overflows * 99 / 100], micros[overflows - 1]);
        assertThat(backend.requests()).as("no overflow reached the backend").isEqualTo(4);

        release.countDown();
        for (CompletableFuture<HttpResponse<String>> request : held) {
            assertThat(request.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(harness.get(PAY).statusCode()).as("the permits came back").isEqualTo(200);
        assertThat(fetch(harness.sidecar.adminPort(), "/stats")).contains(CLUSTER + "upstream_rq_overflow " + overflows)
                .contains(CLUSTER + "upstream_cx_overflow 0");
        String prometheus = fetch(harness.sidecar.metricsPort(), "/stats/prometheus");
        assertThat(prometheus).contains("mesh_upstream_overflow_total{cluster_name=\"outbound|8080||pay.default.svc"
                + ".cluster.local\",destination_service=\"pay\",limit=\"max_requests\",source_workload=\"productpage\"} "
                + overflows + ".0");
        // The sidecar's own time for its 503s, from the request head to the answer written: its 1 ms bucket.
        System.out.println("sidecar's request duration of the 503s: " + prometheus.lines()
                .filter(l -> l.startsWith("mesh_request_duration_milliseconds_bucket") && l.contains("response_code=\"503\"")
                        && (l.contains("le=\"1.0\"") || l.contains("le=\"+Inf\""))).toList());
        assertThat(fetch(harness.sidecar.adminPort(), "/config_summary").replaceAll("\\s", ""))
                .contains("\"circuit_breakers\":{\"max_connections\":1024,\"max_pending_requests\":1024,"
                        + "\"max_requests\":4,\"max_retries\":\"3\"}");
    }

    @Test
    void atMaxConnectionsARequestNeedingAnotherConnectionIsAnswered503NamingTheLimit() throws Exception {
        // One event loop: its pool to the endpoint may always open one connection (as Envoy), not a second.
        startMesh("maxConnections: 1\n");
        List<CompletableFuture<HttpResponse<String>>> held = hold(1);
        Eventually.await(Duration.ofSeconds(10), "a request held at the backend", () -> backend.requests() == 1);

        HttpResponse<String> second = harness.get(PAY);

        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.headers().firstValue("x-mesh-overflow")).hasValue("max_connections");
        release.countDown();
        assertThat(held.get(0).get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(harness.get(PAY).statusCode()).as("the connection, idle again, is reused").isEqualTo(200);
        assertThat(backend.requests()).isEqualTo(2);
        assertThat(fetch(harness.sidecar.adminPort(), "/stats")).contains(CLUSTER + "upstream_cx_overflow 1");
    }

    @Test
    void withNoPendingRequestsAllowedARequestThatMustWaitForANewConnectionIsAnswered503() throws Exception {
        startMesh("maxPendingRequests: 0\n");

        HttpResponse<String> first = harness.get(PAY);

        assertThat(first.statusCode()).isEqualTo(503);
        assertThat(first.headers().firstValue("x-mesh-overflow")).hasValue("max_pending_requests");
        assertThat(backend.requests()).isZero();
        assertThat(fetch(harness.sidecar.adminPort(), "/stats")).contains(CLUSTER + "upstream_rq_pending_overflow 1");
    }
}
