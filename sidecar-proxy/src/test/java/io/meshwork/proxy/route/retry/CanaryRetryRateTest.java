package io.meshwork.proxy.route.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.canary.CanaryController;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.PrometheusText;
import io.meshwork.controlplane.canary.SidecarScrape;
import io.meshwork.controlplane.canary.StepReport;
import io.meshwork.controlplane.canary.TrafficStats;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.testing.ScriptedBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The canary analysis as it reads a real sidecar that retries a flaky canary: the sidecar's own metrics on 15090,
 * read by the analysis' scrape, give a success rate with the retried requests counted as successes and the retry
 * rate beside it.
 */
class CanaryRetryRateTest {

    @TempDir
    Path configDir;

    private static TrafficStats canaryStats(PayMesh mesh) throws Exception {
        return SidecarScrape.statsOf(PrometheusText.parse(mesh.fetch(mesh.harness.sidecar.metricsPort(),
                "/stats/prometheus")), "pay", "default");
    }

    @Test
    void aRequestThatSucceededAfterARetryIsASuccessAndTheRetryRateShowsIt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        // The canary pay: one of its two pods answers every other request with 503, the other is healthy.
        try (ScriptedBackend flaky = new ScriptedBackend("pay-flaky", exchange -> calls.getAndIncrement() % 2 == 0 ? 503 : 200);
             ScriptedBackend healthy = new ScriptedBackend("pay-healthy", exchange -> 200);
             PayMesh mesh = new PayMesh(configDir, List.of(flaky, healthy), PayMesh.policy("MeshRetry",
                     "{kind: Service, name: pay}", """
                     attempts: 2
                     retryOn: [5xx]
                     backoff: {baseInterval: 1ms, maxInterval: 2ms}
                     """))) {
            checkWith(mesh, flaky);
        }
    }

    private static void checkWith(PayMesh mesh, ScriptedBackend flaky) throws Exception {
        TrafficStats before = canaryStats(mesh);
        int failed = 0;
        for (int i = 0; i < 100; i++) {
            failed += mesh.harness.get(PayMesh.URL).statusCode() >= 500 ? 1 : 0;
        }
        TrafficStats interval = canaryStats(mesh).since(before);
        StepReport check = CanaryController.check(new CanaryPlan("shop", "pay-primary", "pay", List.of(10, 100),
                Duration.ofSeconds(10), 99, Duration.ofSeconds(5), 2), 1, 10, TrafficStats.EMPTY, interval, 0);

        System.out.printf("canary retried by its client's sidecar: %d requests, %d failed at the client, %d answered 503 "
                + "by the flaky pod; the check: %s%n", interval.requests(), failed, flaky.failures(), check.detail());
        assertThat(failed).as("every 503 retried on the healthy pod").isZero();
        assertThat(flaky.failures()).as("the flaky pod failed").isPositive();
        assertThat(interval.requests()).isEqualTo(100);
        assertThat(interval.retries()).as("one retry per 503").isEqualTo(flaky.failures());
        assertThat(check.verdict()).isEqualTo(StepReport.Verdict.PASSED);
        assertThat(check.canarySuccessRate()).isEqualTo(100.0);
        assertThat(check.canaryRetryRate()).isEqualTo(flaky.failures() * 100.0 / 100);
        assertThat(check.detail()).contains(String.format("retries %.1f%%", flaky.failures() * 1.0));
    }
}
