package io.meshwork.controlplane.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.canary.CanaryOutcome.Result;
import io.meshwork.controlplane.canary.StepReport.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class CanaryControllerTest {

    /**
     * A simulated mesh for the controller: every interval, 1,000 requests are spread over the
     * backends by the weights in force; the canary fails the given share and answers in the given time.
     */
    static final class SimulatedMesh implements TrafficControl, TrafficObserver, CanaryController.Sleeper {
        final Map<String, Long> weights = new LinkedHashMap<>(Map.of("reviews-v1", 100L, "reviews-v2", 0L));
        final Map<String, TrafficStats> stats = new TreeMap<>();
        final List<String> statuses = new ArrayList<>();
        double canaryFailureShare;
        double canaryLatencyMillis = 5;
        Map<String, Long> externalChange;
        Duration slept = Duration.ZERO;

        String status;

        @Override
        public SplitSnapshot read() {
            return new SplitSnapshot(weights, status);
        }

        @Override
        public Update update(UnaryOperator<SplitSnapshot> change) {
            SplitSnapshot before = read();
            SplitSnapshot wanted = change.apply(before);
            if (wanted != null) {
                weights.putAll(wanted.weights());
                status = wanted.status();
                statuses.add(status);
            }
            return new Update(before, Optional.ofNullable(wanted));
        }

        @Override
        public TrafficStats read(String backend) {
            return stats.getOrDefault(backend, TrafficStats.EMPTY);
        }

        @Override
        public void sleep(Duration duration) {
            slept = slept.plus(duration);
            long total = weights.values().stream().mapToLong(Long::longValue).sum();
            weights.forEach((backend, weight) -> {
                long requests = total == 0 ? 0 : 1000 * weight / total;
                boolean canary = backend.equals("reviews-v2");
                long failures = canary ? Math.round(requests * canaryFailureShare) : 0;
                double latency = canary ? canaryLatencyMillis : 5;
                TreeMap<Double, Long> buckets = new TreeMap<>();
                for (double le : new double[] {10, 100, 1000, Double.POSITIVE_INFINITY}) {
                    buckets.put(le, latency <= le ? requests : 0);
                }
                stats.merge(backend, new TrafficStats(requests, requests - failures, buckets), TrafficStats::plus);
            });
            if (externalChange != null) {
                weights.clear();
                weights.putAll(externalChange);
            }
        }
    }

    private static CanaryPlan plan() {
        return new CanaryPlan("reviews", "reviews-v1", "reviews-v2", List.of(10, 25, 50, 100),
                Duration.ofSeconds(10), 99, Duration.ofMillis(500), 2);
    }

    @Test
    void healthyCanaryWalksEveryStepAndTakesAllTraffic() throws Exception {
        SimulatedMesh mesh = new SimulatedMesh();
        List<StepReport> seen = new ArrayList<>();

        CanaryOutcome outcome = new CanaryController(mesh, mesh, mesh).promote(plan(), seen::add);

        assertThat(outcome.result()).isEqualTo(Result.PROMOTED);
        assertThat(seen).extracting(StepReport::canaryWeight).containsExactly(10, 25, 50, 100);
        assertThat(seen).allMatch(r -> r.verdict() == Verdict.PASSED);
        assertThat(mesh.weights).containsEntry("reviews-v2", 100L).containsEntry("reviews-v1", 0L);
    }

    @Test
    void failingCanaryRollsBackAfterThresholdFailedChecks() throws Exception {
        SimulatedMesh mesh = new SimulatedMesh();
        mesh.canaryFailureShare = 0.2;

        CanaryOutcome outcome = new CanaryController(mesh, mesh, mesh).promote(plan(), r -> { });

        assertThat(outcome.result()).isEqualTo(Result.ROLLED_BACK);
        assertThat(outcome.reason()).contains("success rate 80.0% < 99.0%");
        assertThat(mesh.weights).containsEntry("reviews-v1", 100L).containsEntry("reviews-v2", 0L);
        assertThat(mesh.slept).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void slowCanaryFailsOnP99() throws Exception {
        SimulatedMesh mesh = new SimulatedMesh();
        mesh.canaryLatencyMillis = 800;

        CanaryOutcome outcome = new CanaryController(mesh, mesh, mesh).promote(plan(), r -> { });

        assertThat(outcome.result()).isEqualTo(Result.ROLLED_BACK);
        assertThat(outcome.reason()).contains("p99").contains("> 500ms");
    }

    @Test
    void intervalWithoutCanaryTrafficIsNotCountedAsPassed() throws Exception {
        SimulatedMesh mesh = new SimulatedMesh();
        CanaryPlan plan = plan();
        StepReport report = CanaryController.check(plan, 1, 10, new TrafficStats(100, 100, new TreeMap<>()),
                TrafficStats.EMPTY, 0);

        assertThat(report.verdict()).isEqualTo(Verdict.NO_TRAFFIC);
        assertThat(report.failedChecks()).isEqualTo(1);
        assertThat(report.detail()).contains("no requests reached reviews-v2").contains("not counted as passed");
    }

    @Test
    void anEjectedCanaryEndpointFailsTheCheckThoughTheRequestsThatReachedItSucceeded() {
        StepReport report = CanaryController.check(plan(), 1, 10, new TrafficStats(900, 900, new TreeMap<>()),
                new TrafficStats(100, 100, new TreeMap<>(), 0, 1), 0);

        assertThat(report.verdict()).isEqualTo(Verdict.FAILED);
        assertThat(report.canaryEjections()).isEqualTo(1);
        assertThat(report.detail()).contains("outlier detection ejected reviews-v2 endpoint 1 time");
    }

    @Test
    void aRequestThatSucceededAfterRetriesIsASuccessAndTheRetryRateIsReported() {
        StepReport report = CanaryController.check(plan(), 1, 10, new TrafficStats(900, 900, new TreeMap<>()),
                new TrafficStats(100, 100, new TreeMap<>(), 30, 0), 0);

        assertThat(report.verdict()).isEqualTo(Verdict.PASSED);
        assertThat(report.canarySuccessRate()).isEqualTo(100.0);
        assertThat(report.canaryRetryRate()).isEqualTo(30.0);
        assertThat(report.detail()).contains("retries 30.0%");
    }

    @Test
    void weightsChangedByAnotherHandStopThePromotion() throws Exception {
        SimulatedMesh mesh = new SimulatedMesh();
        mesh.externalChange = Map.of("reviews-v1", 100L, "reviews-v2", 0L);

        CanaryOutcome outcome = new CanaryController(mesh, mesh, mesh).promote(plan(), r -> { });

        assertThat(outcome.result()).isEqualTo(Result.ABORTED);
        assertThat(outcome.reason()).contains("changed outside this promotion");
    }

    @Test
    void oneFailedCheckBelowThresholdRepeatsTheStep() throws Exception {
        SimulatedMesh mesh = new SimulatedMesh();
        CanaryPlan plan = new CanaryPlan("reviews", "reviews-v1", "reviews-v2", List.of(50, 100),
                Duration.ofSeconds(1), 99, Duration.ofMillis(500), 3);
        mesh.canaryFailureShare = 0.5;
        List<StepReport> seen = new ArrayList<>();
        CanaryController controller = new CanaryController(mesh, mesh, duration -> {
            mesh.sleep(duration);
            mesh.canaryFailureShare = 0; // the canary recovers after its first interval
        });

        CanaryOutcome outcome = controller.promote(plan, seen::add);

        assertThat(outcome.result()).isEqualTo(Result.PROMOTED);
        assertThat(seen).extracting(StepReport::canaryWeight).containsExactly(50, 50, 100);
        assertThat(seen.get(0).verdict()).isEqualTo(Verdict.FAILED);
    }
}
