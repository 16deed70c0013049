package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshwork.controlplane.canary.CanaryController;
import io.meshwork.controlplane.canary.CanaryOutcome;
import io.meshwork.controlplane.canary.CanaryOutcome.Result;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.SplitSnapshot;
import io.meshwork.controlplane.canary.TrafficObserver;
import io.meshwork.controlplane.canary.TrafficStats;
import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every transition of {@link io.meshwork.controlplane.canary.CanaryState} on a real config folder with
 * three backends (the issue's {@code reviews-v1=100 reviews-v2=50 reviews-v3=50}), through the
 * {@code mesh} commands where a user would use them. The promotions run the real controller on the
 * real files; the traffic between checks is simulated from the weights the file holds.
 */
class CanaryTransitionsTest {

    /** {@link SplitCommandTest#CONFIG} with a Service reviews-v3 beside it, in the split at weight 0. */
    static SplitFileControl threeBackends(Path dir) throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), SplitCommandTest.CONFIG);
        String v2 = SplitCommandTest.CONFIG.split("---\n")[2];
        Files.writeString(dir.resolve("reviews-v3.yaml"), v2.replace("v2", "v3"));
        SplitFileControl control = new SplitFileControl(dir, "default", "reviews");
        SplitCommand.set(control, Map.of("reviews-v3", 0L));
        return control;
    }

    @TempDir
    Path dir;

    SplitFileControl control;

    @BeforeEach
    void writeConfig() throws IOException {
        control = threeBackends(dir);
        CliRun set = mesh("split", "set", "reviews", "reviews-v1=100", "reviews-v2=50", "reviews-v3=50");
        assertThat(set.exitCode()).as(set.err()).isZero();
    }

    /**
     * 1,000 requests per interval spread by the weights the file holds; the canary fails the given
     * share. {@code during} runs inside the given interval (1-based), as another user would.
     */
    final class SimulatedTraffic implements TrafficObserver, CanaryController.Sleeper {
        final Map<String, TrafficStats> stats = new HashMap<>();
        final Map<Integer, ThrowingAction> during = new HashMap<>();
        final List<Map<String, Long>> seen = new ArrayList<>();
        String canary = "reviews-v2";
        double canaryFailureShare;
        int intervals;

        @Override
        public TrafficStats read(String backend) {
            return stats.getOrDefault(backend, TrafficStats.EMPTY);
        }

        @Override
        public void sleep(Duration duration) {
            try {
                Map<String, Long> weights = control.read().weights();
                seen.add(weights);
                long total = weights.values().stream().mapToLong(Long::longValue).sum();
                weights.forEach((backend, weight) -> {
                    long requests = total == 0 ? 0 : 1000 * weight / total;
                    long failures = backend.equals(canary) ? Math.round(requests * canaryFailureShare) : 0;
                    TreeMap<Double, Long> buckets = new TreeMap<>(Map.of(10.0, requests, Double.POSITIVE_INFINITY, requests));
                    stats.merge(backend, new TrafficStats(requests, requests - failures, buckets), TrafficStats::plus);
                });
                intervals++;
                ThrowingAction action = during.get(intervals);
                if (action != null) {
                    action.run();
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @FunctionalInterface
    interface ThrowingAction {
        void run() throws IOException;
    }

    private static CanaryPlan plan(String primary, String canary) {
        return new CanaryPlan("reviews", primary, canary, List.of(10, 25, 50, 100), Duration.ofSeconds(10), 99,
                Duration.ofMillis(500), 2);
    }

    private CanaryOutcome promote(SimulatedTraffic traffic) throws Exception {
        return new CanaryController(control, traffic, traffic).promote(plan("reviews-v1", traffic.canary), r -> { });
    }

    private CliRun mesh(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--config-dir", dir.toString()));
        return CliRun.run(all.toArray(String[]::new));
    }

    private Map<String, Long> weights() throws IOException {
        return control.read().weights();
    }

    private String note() throws IOException {
        return control.read().status();
    }

    private static Map<String, Long> weights(long v1, long v2, long v3) {
        Map<String, Long> w = new LinkedHashMap<>();
        w.put("reviews-v1", v1);
        w.put("reviews-v2", v2);
        w.put("reviews-v3", v3);
        return w;
    }

    // Idle -> Promoting(n/N) -> Promoted

    @Test
    void promotionMovesOnlyThePairsShareAndLeavesTheThirdBackendAlone() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();

        CanaryOutcome outcome = promote(traffic);

        assertThat(outcome.result()).as(outcome.reason()).isEqualTo(Result.PROMOTED);
        assertThat(traffic.seen).containsExactly(weights(135, 15, 50), weights(112, 38, 50), weights(75, 75, 50),
                weights(0, 150, 50));
        assertThat(weights()).isEqualTo(weights(0, 150, 50));
        assertThat(outcome.reason()).contains("reviews-v1=0 (0%), reviews-v2=150 (75%), reviews-v3=50 (25%)");
        assertThat(mesh("canary", "status", "reviews").out()).contains("state: Promoted")
                .contains("canary: promoted canary=reviews-v2 primary=reviews-v1");
    }

    @Test
    void statusShowsTheStepWhilePromoting() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        String[] status = {null};
        traffic.during.put(2, () -> status[0] = mesh("canary", "status", "reviews").out());

        promote(traffic);

        assertThat(status[0]).contains("state: Promoting (step 2/4)").containsPattern("reviews-v3\\s+50\\s+25%")
                .contains("promoting canary=reviews-v2 primary=reviews-v1: step 2/4 at 25% of the pair");
    }

    @Test
    void anotherWriterChangingOnlyTheThirdBackendIsNotAnOutsideChange() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        CliRun[] set = {null};
        traffic.during.put(2, () -> set[0] = mesh("split", "set", "reviews", "reviews-v3=80"));

        CanaryOutcome outcome = promote(traffic);

        assertThat(outcome.result()).as(outcome.reason()).isEqualTo(Result.PROMOTED);
        assertThat(set[0].out()).contains("canary status kept, the promotion goes on: promoting canary=reviews-v2");
        assertThat(traffic.seen.get(2)).isEqualTo(weights(75, 75, 80));
        assertThat(weights()).isEqualTo(weights(0, 150, 80));
    }

    // Promoting -> RolledBack -> (split set) Idle

    @Test
    void failingCanaryGivesThePairsShareBackToThePrimaryAndLeavesTheThirdBackend() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        traffic.canaryFailureShare = 0.2;

        CanaryOutcome outcome = promote(traffic);

        assertThat(outcome.result()).isEqualTo(Result.ROLLED_BACK);
        assertThat(weights()).isEqualTo(weights(150, 0, 50));
        assertThat(note()).startsWith("rolled back canary=reviews-v2 primary=reviews-v1: success rate 80.0%");
        assertThat(mesh("canary", "status", "reviews").out()).contains("state: RolledBack");
    }

    @Test
    void manualSetAfterARollbackClearsTheNote() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        traffic.canaryFailureShare = 0.2;
        promote(traffic);

        CliRun set = mesh("split", "set", "reviews", "reviews-v3=40");

        assertThat(set.out()).contains("canary status cleared (was: rolled back canary=reviews-v2");
        assertThat(note()).isNull();
        assertThat(mesh("canary", "status", "reviews").out()).contains("state: Idle").contains("no promotion has run");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).doesNotContain("annotations");
    }

    // Promoting -> Aborted

    @Test
    void abortDuringAPromotionGivesThePairsShareToThePrimaryNamesEveryWeightAndStopsIt() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        CliRun[] abort = {null};
        traffic.during.put(2, () -> abort[0] = mesh("canary", "abort", "reviews"));

        CanaryOutcome outcome = promote(traffic);

        assertThat(abort[0].exitCode()).as(abort[0].err()).isZero();
        assertThat(abort[0].out()).isEqualTo("aborted the promotion of reviews-v2 at step 2/4 on reviews: the share of "
                + "reviews-v1 and reviews-v2 (150) is all on reviews-v1; weights now reviews-v1=150 (75%), reviews-v2=0 (0%), "
                + "reviews-v3=50 (25%) (reviews-v3 keeps 50, outside the promotion)\n");
        assertThat(outcome.result()).isEqualTo(Result.ABORTED);
        assertThat(outcome.reason()).contains("(reviews-v1 112 → 150, reviews-v2 38 → 0)")
                .contains("the status note now says \"aborted canary=reviews-v2");
        assertThat(traffic.intervals).isEqualTo(2);
        assertThat(weights()).isEqualTo(weights(150, 0, 50));
        assertThat(note()).isEqualTo("aborted canary=reviews-v2 primary=reviews-v1: the pair's share is on reviews-v1 "
                + "(stopped at step 2/4)");
        assertThat(mesh("canary", "status", "reviews").out()).contains("state: Aborted");
    }

    @Test
    void manualSetOfTheCanaryDuringAPromotionClearsTheNoteAndStopsIt() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        traffic.during.put(1, () -> mesh("split", "set", "reviews", "reviews-v2=0"));

        CanaryOutcome outcome = promote(traffic);

        assertThat(outcome.result()).isEqualTo(Result.ABORTED);
        assertThat(outcome.reason()).contains("reviews-v2 15 → 0").contains("weights left as they are");
        assertThat(weights()).isEqualTo(weights(135, 0, 50));
        assertThat(note()).isNull();
    }

    @Test
    void handEditOfThePairDuringAPromotionStopsItAndTheNoteSaysWhy() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        traffic.during.put(1, () -> {
            TrafficSplitFiles files = new TrafficSplitFiles(dir);
            TrafficSplitFiles.Location split = files.find("default", "reviews").orElseThrow();
            TrafficSplitFiles.replaceAtomically(split.file(), files.rewrite(split, Map.of("reviews-v1", 10L), null));
        });

        CanaryOutcome outcome = promote(traffic);

        assertThat(outcome.result()).isEqualTo(Result.ABORTED);
        assertThat(weights()).isEqualTo(weights(10, 15, 50));
        assertThat(note()).startsWith("aborted canary=reviews-v2 primary=reviews-v1: the weights of reviews-v1/reviews-v2 "
                + "were changed outside this promotion (reviews-v1 135 → 10");
    }

    @Test
    void metricsLostDuringAPromotionCountAsFailedChecksAndEndInARollback() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        boolean[] lost = {false};
        traffic.during.put(1, () -> lost[0] = true);
        TrafficObserver flaky = backend -> {
            if (lost[0]) {
                throw new IOException("no sidecar answered for metrics");
            }
            return traffic.read(backend);
        };

        CanaryOutcome outcome = new CanaryController(control, flaky, traffic).promote(plan("reviews-v1", "reviews-v2"), r -> { });

        assertThat(outcome.result()).isEqualTo(Result.ROLLED_BACK);
        assertThat(outcome.reason()).contains("metrics unavailable: no sidecar answered for metrics");
        assertThat(weights()).isEqualTo(weights(150, 0, 50));
    }

    // abort in the other states

    @Test
    void abortWithoutAPromotionNeedsTheCanaryWhenTheSplitHasThreeBackends() throws IOException {
        String before = Files.readString(dir.resolve("mesh.yaml"));

        CliRun run = mesh("canary", "abort", "reviews", "--primary", "reviews-v1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("besides reviews-v1; say which is the canary with --canary");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(before);
    }

    @Test
    void abortWithoutAPromotionMovesTheNamedPairOnly() throws IOException {
        CliRun run = mesh("canary", "abort", "reviews", "--primary", "reviews-v1", "--canary", "reviews-v2");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("weights now reviews-v1=150 (75%), reviews-v2=0 (0%), reviews-v3=50 (25%)");
        assertThat(weights()).isEqualTo(weights(150, 0, 50));
        assertThat(note()).startsWith("aborted canary=reviews-v2 primary=reviews-v1");
    }

    @Test
    void abortAfterARollbackHasNothingToDoAndWritesNothing() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        traffic.canaryFailureShare = 0.2;
        promote(traffic);
        String before = Files.readString(dir.resolve("mesh.yaml"));

        CliRun run = mesh("canary", "abort", "reviews");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("nothing to abort: no promotion of reviews is running (last: rolled back")
                .contains("weights: reviews-v1=150 (75%), reviews-v2=0 (0%), reviews-v3=50 (25%)");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(before);
    }

    @Test
    void abortAfterAFinishedPromotionIsRefusedAndWritesNothing() throws Exception {
        promote(new SimulatedTraffic());
        String before = Files.readString(dir.resolve("mesh.yaml"));

        CliRun run = mesh("canary", "abort", "reviews");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("error: the promotion of reviews-v2 on reviews has finished");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(before);
    }

    // promote's preconditions: nothing is written unless all hold

    @Test
    void promoteWhileAPromotionRunsIsRefusedAndWritesNothing() throws Exception {
        SimulatedTraffic traffic = new SimulatedTraffic();
        CliRun[] second = {null};
        String[] fileDuring = {null};
        traffic.during.put(1, () -> {
            fileDuring[0] = Files.readString(dir.resolve("mesh.yaml"));
            second[0] = mesh("canary", "promote", "reviews", "--canary", "reviews-v3", "--primary", "reviews-v1",
                    "--control-plane", "http://127.0.0.1:1");
            assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(fileDuring[0]);
        });

        CanaryOutcome outcome = promote(traffic);

        assertThat(second[0].exitCode()).isEqualTo(1);
        assertThat(second[0].err()).contains("a promotion of reviews is running (promoting canary=reviews-v2")
                .contains("mesh canary abort reviews");
        assertThat(outcome.result()).isEqualTo(Result.PROMOTED);
    }

    @Test
    void promoteWithTheControlPlaneUnreachableWritesNothing() throws IOException {
        String before = Files.readString(dir.resolve("mesh.yaml"));

        CliRun run = mesh("canary", "promote", "reviews", "--canary", "reviews-v2", "--primary", "reviews-v1",
                "--interval", "100ms", "--control-plane", "http://127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot reach the control plane at http://127.0.0.1:1 (connection refused)")
                .doesNotContain("Exception");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(before);
    }

    @Test
    void promoteWithMetricsThatDoNotAnswerWritesNothing() throws IOException {
        String before = Files.readString(dir.resolve("mesh.yaml"));

        CliRun run = mesh("canary", "promote", "reviews", "--canary", "reviews-v2", "--primary", "reviews-v1",
                "--metrics-url", "http://127.0.0.1:1/stats/prometheus");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no sidecar answered for metrics (1 tried; http://127.0.0.1:1/stats/prometheus: "
                + "connection refused)").doesNotContain("Exception");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(before);
    }

    @Test
    void promoteOfAPairWithoutWeightIsRefused() throws IOException {
        mesh("split", "set", "reviews", "reviews-v1=0", "reviews-v2=0", "reviews-v3=100");

        CliRun run = mesh("canary", "promote", "reviews", "--canary", "reviews-v2", "--primary", "reviews-v1",
                "--control-plane", "http://127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("reviews-v1 and reviews-v2 have no weight in the split of reviews");
        assertThat(weights()).isEqualTo(weights(0, 0, 100));
    }

    @Test
    void promotionsStartFromEveryEndState() throws Exception {
        SimulatedTraffic failing = new SimulatedTraffic();
        failing.canaryFailureShare = 0.2;
        assertThat(promote(failing).result()).isEqualTo(Result.ROLLED_BACK);
        assertThat(promote(new SimulatedTraffic()).result()).isEqualTo(Result.PROMOTED);
        mesh("split", "set", "reviews", "reviews-v1=100", "reviews-v2=50");
        mesh("canary", "abort", "reviews", "--primary", "reviews-v1", "--canary", "reviews-v2");
        assertThat(CanaryController.requireStartable(plan("reviews-v1", "reviews-v2"), control.read())).isEqualTo(150);

        CanaryOutcome fromAborted = promote(new SimulatedTraffic());

        assertThat(fromAborted.result()).isEqualTo(Result.PROMOTED);
        assertThat(weights()).isEqualTo(weights(0, 150, 50));
    }

    @Test
    void theControllerRefusesToStartOverARunningPromotion() throws IOException {
        control.update(now -> new SplitSnapshot(now.weights(),
                "promoting canary=reviews-v2 primary=reviews-v1: step 1/4 at 10% of the pair, failed checks 0/2"));

        assertThatThrownBy(() -> promote(new SimulatedTraffic())).hasMessageContaining("a promotion of reviews is running");
    }
}
