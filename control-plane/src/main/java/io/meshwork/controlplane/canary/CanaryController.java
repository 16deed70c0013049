package io.meshwork.controlplane.canary;

import io.meshwork.controlplane.canary.CanaryOutcome.Result;
import io.meshwork.controlplane.canary.StepReport.Verdict;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Walks a canary through its weight steps, checking its success rate and p99 after each interval,
 * in the manner of Flagger: a step passes when the canary served requests within the limits; a
 * failed check (including an interval in which no request reached the canary) repeats the step, and
 * {@code threshold} failed checks send all traffic back to the primary.
 */
public final class CanaryController {

    /** Waits between checks; tests pass one that advances a clock instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final TrafficControl traffic;
    private final TrafficObserver observer;
    private final Sleeper sleeper;

    public CanaryController(TrafficControl traffic, TrafficObserver observer, Sleeper sleeper) {
        this.traffic = traffic;
        this.observer = observer;
        this.sleeper = sleeper;
    }

    public CanaryOutcome promote(CanaryPlan plan, Consumer<StepReport> progress) throws IOException, InterruptedException {
        List<StepReport> reports = new ArrayList<>();
        int failedChecks = 0;
        List<Integer> steps = plan.steps();
        for (int i = 0; i < steps.size(); i++) {
            int weight = steps.get(i);
            Map<String, Long> target = split(plan, weight);
            traffic.setWeights(target, status(plan, i + 1, weight, failedChecks));
            while (true) {
                TrafficStats primaryBefore = observer.read(plan.primary());
                TrafficStats canaryBefore = observer.read(plan.canary());
                sleeper.sleep(plan.interval());
                Map<String, Long> current = traffic.weights();
                if (!sameWeights(current, target)) {
                    return new CanaryOutcome(Result.ABORTED,
                            "the weights of " + plan.service() + " were changed outside this promotion (now "
                                    + current + "); stopped",
                            reports);
                }
                TrafficStats primary = observer.read(plan.primary()).since(primaryBefore);
                TrafficStats canary = observer.read(plan.canary()).since(canaryBefore);
                StepReport report = check(plan, i + 1, weight, primary, canary, failedChecks);
                failedChecks = report.failedChecks();
                reports.add(report);
                progress.accept(report);
                if (report.verdict() == Verdict.PASSED) {
                    break;
                }
                if (failedChecks >= plan.threshold()) {
                    traffic.setWeights(split(plan, 0), tag(plan, "rolled back") + report.detail());
                    return new CanaryOutcome(Result.ROLLED_BACK,
                            plan.canary() + " failed " + failedChecks + " checks (last: " + report.detail()
                                    + "); all traffic is back on " + plan.primary(),
                            reports);
                }
                traffic.setWeights(target, status(plan, i + 1, weight, failedChecks));
            }
        }
        traffic.setWeights(split(plan, 100), tag(plan, "promoted") + plan.canary() + " takes all traffic");
        return new CanaryOutcome(Result.PROMOTED,
                plan.canary() + " passed every step and now takes all traffic of " + plan.service(), reports);
    }

    /** Sends all traffic back to the primary at once. */
    public void abort(CanaryPlan plan) throws IOException {
        traffic.setWeights(split(plan, 0), tag(plan, "aborted") + "all traffic on " + plan.primary());
    }

    static StepReport check(CanaryPlan plan, int step, int weight, TrafficStats primary, TrafficStats canary,
            int failedBefore) {
        double successRate = canary.successRatePercent();
        double p99 = canary.quantileMillis(0.99);
        long maxP99Millis = plan.maxP99().toMillis();
        Verdict verdict;
        String detail;
        if (canary.requests() == 0) {
            verdict = Verdict.NO_TRAFFIC;
            detail = "no requests reached " + plan.canary() + " in " + format(plan.interval())
                    + "; the step is not counted as passed";
        } else if (successRate < plan.minSuccessRate()) {
            verdict = Verdict.FAILED;
            detail = String.format("success rate %.1f%% < %.1f%%", successRate, plan.minSuccessRate());
        } else if (p99 > maxP99Millis) {
            verdict = Verdict.FAILED;
            detail = String.format("p99 %.0fms > %dms", p99, maxP99Millis);
        } else {
            verdict = Verdict.PASSED;
            detail = String.format("success rate %.1f%%, p99 %.0fms", successRate, p99);
        }
        int failed = verdict == Verdict.PASSED ? failedBefore : failedBefore + 1;
        return new StepReport(step, plan.steps().size(), weight, primary.requests(), canary.requests(),
                successRate, p99, verdict, detail, failed, plan.threshold());
    }

    private static Map<String, Long> split(CanaryPlan plan, int canaryWeight) {
        Map<String, Long> weights = new LinkedHashMap<>();
        weights.put(plan.primary(), (long) (100 - canaryWeight));
        weights.put(plan.canary(), (long) canaryWeight);
        return weights;
    }

    /** Compares the weights we set with the split's, ignoring backends outside the promotion at weight 0. */
    private static boolean sameWeights(Map<String, Long> current, Map<String, Long> target) {
        for (Map.Entry<String, Long> e : current.entrySet()) {
            long expected = target.getOrDefault(e.getKey(), 0L);
            if (e.getValue() != expected) {
                return false;
            }
        }
        return target.entrySet().stream()
                .allMatch(e -> e.getValue() == 0 || current.containsKey(e.getKey()));
    }

    /**
     * The status note starts with the state and the two backends ({@code promoting canary=B primary=A: ...}),
     * so that {@code mesh canary status|abort} can tell which backend is which.
     */
    public static String tag(CanaryPlan plan, String state) {
        return state + " canary=" + plan.canary() + " primary=" + plan.primary() + ": ";
    }

    private static String status(CanaryPlan plan, int step, int weight, int failedChecks) {
        return tag(plan, "promoting") + "step " + step + "/" + plan.steps().size() + " at " + weight
                + "%, failed checks " + failedChecks + "/" + plan.threshold();
    }

    static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
