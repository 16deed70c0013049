package io.meshwork.proxy.route.mirror;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.NettyBackend;
import io.meshwork.proxy.testing.PayMesh;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshMirror end to end: YAML in a watched folder, the real control plane's {@code request_mirror_policies} on pay's
 * routes, the real sidecar, pay and the mirror backend {@code audit} as Netty servers on loopback. The audit backend
 * fails every shadow (500) or never answers it; the client's answers are pay's, unchanged and not slowed.
 */
class MeshMirrorTest {

    @TempDir
    Path configDir;
    private NettyBackend pay;
    private NettyBackend audit;
    private PayMesh mesh;

    @AfterEach
    void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        pay.close();
        audit.close();
    }

    private void startMesh(String percentage) throws Exception {
        pay = new NettyBackend("pay-0", request -> 200);
        // Shadows of /hang are never answered; all others fail.
        audit = new NettyBackend("audit-0", request -> request.uri().startsWith("/hang") ? 0 : 500);
        mesh = PayMesh.on(configDir, new int[] {pay.port()},
                List.of(service("audit", 8080, "http", Map.of("app", "audit")),
                        workload("audit-0", Map.of("app", "audit"), "http", audit.port())),
                PayMesh.policy("MeshMirror", "{kind: Service, name: pay}", "backend: {name: audit}\n" + percentage));
    }

    private long mirrored(int code) throws Exception {
        Matcher line = Pattern.compile("mesh_mirrored_requests_total\\{[^}]*destination_service=\"audit[^\"]*\","
                + "response_code=\"" + code + "\"[^}]*} ([0-9.]+)")
                .matcher(mesh.fetch(mesh.harness.sidecar.metricsPort(), "/stats/prometheus"));
        return line.find() ? (long) Double.parseDouble(line.group(1)) : 0;
    }

    @Test
    void thirtyPercentOfTheCallsReachTheShadowAndTheClientSeesOnlyPay() throws Exception {
        startMesh("percentage: 30\n");
        // p 30%: 3,000 requests make ±4 points 4.8 standard deviations of the binomial (sqrt(0.21 / 3000) = 0.84).
        int total = 3_000;
        for (int i = 0; i < total; i++) {
            HttpResponse<String> response = mesh.harness.get(PayMesh.URL + "fail/" + i);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("pay-0");
        }
        Eventually.await(Duration.ofSeconds(15), "every shadow answered and counted",
                () -> {
                    try {
                        return mirrored(500) == audit.requests();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
        int shadows = audit.requests();
        System.out.println("MeshMirrorTest percentage 30 over " + total + " requests: " + shadows + " shadows");
        assertThat(shadows / (double) total).isBetween(0.26, 0.34);
        assertThat(pay.requests()).isEqualTo(total);
        assertThat(audit.hosts()).allMatch(host -> host.equals("pay-shadow:8080"));
    }

    @Test
    void aShadowThatNeverAnswersNeitherChangesNorSlowsTheClientsAnswer() throws Exception {
        startMesh("");
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = mesh.harness.client.send(HttpRequest.newBuilder(
                    URI.create(PayMesh.URL + "hang/" + i)).POST(HttpRequest.BodyPublishers.ofString("order " + i))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("pay-0");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(millis).as("20 calls while their shadows hang").isLessThan(3_000);
        Eventually.await(Duration.ofSeconds(10), "20 shadows at audit", () -> audit.requests() == 20);
        assertThat(mirrored(500)).isZero();
    }
}
