package io.meshwork.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.testing.ScriptedBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outlier detection end to end: a MeshCircuitBreaker's outlierDetection in a watched folder, the real control plane's
 * outlier_detection over CDS, and the sidecar ejecting the one bad endpoint of three backends on loopback, for errors
 * in a row or, at an interval's end, for its success rate.
 */
class OutlierDetectionTest {

    @TempDir
    Path configDir;
    private final List<ScriptedBackend> backends = new ArrayList<>();
    private PayMesh mesh;

    @AfterEach
    void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        backends.forEach(ScriptedBackend::close);
    }

    private int send(int requests) throws Exception {
        int failed = 0;
        for (int i = 0; i < requests; i++) {
            failed += mesh.harness.get(PayMesh.URL).statusCode() == 503 ? 1 : 0;
        }
        return failed;
    }

    private static <T> T unchecked(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The ejection time left of the endpoint at {@code port}, from the sidecar's /config_summary (0: not ejected). */
    private long ejectedMs(ScriptedBackend backend) throws Exception {
        String summary = mesh.fetch(mesh.harness.sidecar.adminPort(), "/config_summary").replaceAll("\\s", "");
        Matcher m = Pattern.compile("\"address\":\"127\\.0\\.0\\.1:" + backend.port() + "\"[^}]*\"ejected_ms\":(\\d+)")
                .matcher(summary);
        assertThat(m.find()).as("endpoint " + backend.port() + " in /config_summary").isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void oneBadEndpointOfThreeIsEjectedAfterThreeConsecutive5xxGetsNoTrafficForItsTimeThenReturns() throws Exception {
        ScriptedBackend bad = new ScriptedBackend("pay-bad", exchange -> 503);
        backends.add(bad);
        for (String name : List.of("pay-a", "pay-b")) {
            backends.add(new ScriptedBackend(name, exchange -> 200));
        }
        mesh = new PayMesh(configDir, backends, PayMesh.policy("MeshCircuitBreaker", "{kind: Service, name: pay}", """
                outlierDetection: {consecutive5xx: 3, interval: 10s, baseEjectionTime: 2s, maxEjectionPercent: 50}
                """));

        // Round robin over three: the bad endpoint gets every third request, and its third 503 ejects it.
        long ejectedAt = System.nanoTime(); // no later than the ejection, which the 9th request makes
        int failedBefore = send(9);
        assertThat(bad.requests()).isEqualTo(3);
        assertThat(failedBefore).isEqualTo(3);
        assertThat(ejectedMs(bad)).as("ejection time left").isBetween(1L, 2_000L);
        assertThat(mesh.adminStats()).contains(PayMesh.STATS + "outlier_detection.ejections_active 1")
                .contains(PayMesh.STATS + "outlier_detection.ejections_enforced_consecutive_5xx 1");

        int during = 0;
        while (System.nanoTime() - ejectedAt < Duration.ofMillis(1_500).toNanos()) {
            assertThat(send(1)).as("a request while the bad endpoint is ejected").isZero();
            during++;
        }
        int triesWhileEjected = bad.requests() - 3;
        assertThat(triesWhileEjected).as("requests to the ejected endpoint in 1.5 s (%d sent)", during).isZero();

        // Back after its 2 s: it gets its share again, fails three more times, and is ejected for twice as long.
        Eventually.await(Duration.ofSeconds(10), "the bad endpoint back in the rotation", () -> {
            unchecked(() -> send(1));
            return bad.requests() > 3;
        });
        long backAfterMs = (System.nanoTime() - ejectedAt) / 1_000_000;
        Eventually.await(Duration.ofSeconds(10), "the bad endpoint ejected again", () -> {
            unchecked(() -> send(1));
            return unchecked(() -> ejectedMs(bad)) > 0;
        });
        long secondEjection = ejectedMs(bad);
        System.out.printf("outlier detection: %d tries on the ejected endpoint in 1.5 s of %d requests; back after "
                + "%d ms (ejection 2 s); second ejection %d ms left when seen (base x 2 = 4 s)%n", triesWhileEjected, during,
                backAfterMs, secondEjection);
        assertThat(backAfterMs).isGreaterThanOrEqualTo(2_000);
        assertThat(bad.requests()).isEqualTo(6);
        assertThat(secondEjection).as("the second ejection lasts base x 2").isBetween(2_001L, 4_000L);
        assertThat(mesh.fetch(mesh.harness.sidecar.metricsPort(), "/stats/prometheus"))
                .contains("mesh_outlier_ejections_total{cluster_name=\"outbound|8080||pay.default.svc.cluster.local\","
                        + "destination_service=\"pay\",reason=\"consecutive_5xx\",source_workload=\"productpage\"} 2.0");
    }

    private int status() {
        try {
            return mesh.harness.get(PayMesh.URL).statusCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theEndpointFailing40PercentIsEjectedAtAnIntervalAndTheHealthyOnesAreNot() throws Exception {
        AtomicInteger flakyCalls = new AtomicInteger();
        // Two of every five fail, never more than two in a row (a consecutive-errors detector would not be needed).
        ScriptedBackend flaky = new ScriptedBackend("pay-flaky", exchange -> flakyCalls.getAndIncrement() % 5 < 2 ? 503 : 200);
        backends.add(flaky);
        ScriptedBackend a = new ScriptedBackend("pay-a", exchange -> 200);
        ScriptedBackend b = new ScriptedBackend("pay-b", exchange -> 200);
        backends.add(a);
        backends.add(b);
        // Three hosts: with the other two equal, the outlier lies sqrt(2) standard deviations below the mean whatever its
        // rate, so Envoy's default factor 1.9 could never eject it; 1.0 does.
        mesh = new PayMesh(configDir, backends, PayMesh.policy("MeshCircuitBreaker", "{kind: Service, name: pay}", """
                outlierDetection:
                  interval: 1s
                  baseEjectionTime: 30s
                  maxEjectionPercent: 50
                  successRate: {minimumHosts: 3, requestVolume: 10, standardDeviationFactor: 1.0}
                """));

        int sent = 0;
        long start = System.nanoTime();
        while (!mesh.adminStats().contains(PayMesh.STATS + "outlier_detection.ejections_enforced_success_rate 1")) {
            assertThat(System.nanoTime() - start).as("ejection within 10 s").isLessThan(Duration.ofSeconds(10).toNanos());
            for (int i = 0; i < 15; i++) {
                status();
                sent++;
            }
        }
        int flakyBefore = flaky.requests();
        assertThat(flakyBefore).as("tries on the flaky endpoint before its ejection").isGreaterThanOrEqualTo(10);
        assertThat(ejectedMs(flaky)).as("ejection time left").isBetween(1L, 30_000L);
        assertThat(ejectedMs(a)).isZero();
        assertThat(ejectedMs(b)).isZero();
        assertThat(mesh.adminStats()).contains(PayMesh.STATS + "outlier_detection.ejections_active 1")
                .contains(PayMesh.STATS + "outlier_detection.ejections_enforced_consecutive_5xx 0");

        // Two more intervals: the healthy ones stay in (their rates are equal) and take every request.
        int failedAfter = 0;
        long after = System.nanoTime();
        int sentAfter = 0;
        while (System.nanoTime() - after < Duration.ofMillis(2_500).toNanos()) {
            failedAfter += status() == 503 ? 1 : 0;
            sentAfter++;
        }
        System.out.printf("success-rate ejection: %d requests before the ejection (%d to the flaky endpoint); after it "
                + "%d requests in 2.5 s, %d failed, %d to the flaky endpoint%n", sent, flakyBefore, sentAfter, failedAfter,
                flaky.requests() - flakyBefore);
        assertThat(flaky.requests()).as("tries on the ejected endpoint").isEqualTo(flakyBefore);
        assertThat(failedAfter).isZero();
        assertThat(ejectedMs(a)).isZero();
        assertThat(ejectedMs(b)).isZero();
        assertThat(mesh.fetch(mesh.harness.sidecar.metricsPort(), "/stats/prometheus"))
                .contains("mesh_outlier_ejections_total{cluster_name=\"outbound|8080||pay.default.svc.cluster.local\","
                        + "destination_service=\"pay\",reason=\"success_rate\",source_workload=\"productpage\"} 1.0");
    }
}
