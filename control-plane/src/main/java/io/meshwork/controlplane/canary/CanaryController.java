package io.meshwork.controlplane.canary;

import io.meshwork.controlplane.canary.CanaryOutcome.Result;
import io.meshwork.controlplane.canary.CanaryState.Phase;
import io.meshwork.controlplane.canary.StepReport.Verdict;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Walks a canary through its weight steps, checking its success rate and p99 after each interval,
 * in the manner of Flagger: a step passes when the canary served requests within the limits and no
 * client sidecar's outlier detection ejected one of its endpoints (an ejected endpoint's errors no
 * longer reach the success rate); the retry rate is reported beside the success rate; a
 * failed check (including an interval in which no request reached the canary, or whose metrics
 * could not be read) repeats the step, and {@code threshold} failed checks send the pair's share
 * back to the primary. The states, what each command does in them, and how a third backend is
 * treated are in {@link CanaryState}.
 */
public final class CanaryController {

    /** Waits between checks; tests pass one that advances a clock instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** What {@link #abort} found and left: the state before, the split after, whether it wrote. */
    public record AbortOutcome(CanaryState found, String primary, String canary, SplitSnapshot after, boolean wrote) {
    }

    private final TrafficControl traffic;
    private final TrafficObserver observer;
    private final Sleeper sleeper;

    public CanaryController(TrafficControl traffic, TrafficObserver observer, Sleeper sleeper) {
        this.traffic = traffic;
        this.observer = observer;
        this.sleeper = sleeper;
    }

    /**
     * Checks that a promotion of {@code plan} may start on {@code split} and returns the pair's share;
     * an exception names what is missing. Nothing is written.
     */
    public static long requireStartable(CanaryPlan plan, SplitSnapshot split) {
        CanaryState state = CanaryState.of(split.status());
        if (state.isPromoting()) {
            throw new IllegalStateException("a promotion of " + plan.service() + " is running (" + split.status()
                    + "); stop it with `mesh canary abort " + plan.service() + "` first");
        }
        for (String backend : List.of(plan.primary(), plan.canary())) {
            if (!split.weights().containsKey(backend)) {
                throw new IllegalArgumentException(backend + " is not a backend of the split of " + plan.service());
            }
        }
        long share = plan.pairShare(split.weights());
        if (share == 0) {
            throw new IllegalArgumentException(plan.primary() + " and " + plan.canary() + " have no weight in the split of "
                    + plan.service() + " (" + split.describeWeights() + "); a promotion only moves their share: give "
                    + plan.primary() + " a weight first with `mesh split set`");
        }
        return share;
    }

    /** Every weight map a promotion of {@code plan} may write on {@code split}: each step, promoted, rolled back. */
    public static List<Map<String, Long>> plannedWeights(CanaryPlan plan, SplitSnapshot split) {
        long share = plan.pairShare(split.weights());
        List<Map<String, Long>> all = new ArrayList<>();
        for (int step : plan.steps()) {
            all.add(plan.weightsAt(split.weights(), share, step));
        }
        all.add(plan.weightsAt(split.weights(), share, 100));
        all.add(plan.weightsAt(split.weights(), share, 0));
        return all;
    }

    public CanaryOutcome promote(CanaryPlan plan, Consumer<StepReport> progress) throws IOException, InterruptedException {
        SplitSnapshot last = traffic.read();
        long share = requireStartable(plan, last);
        observer.read(plan.primary()); // the metrics must be readable before anything is written
        observer.read(plan.canary());
        return walk(plan, progress, last, share, 0, 0, false);
    }

    /**
     * Takes over a promotion of {@code plan} that another process started and left running (a control
     * plane that lost its leadership): the split's note must be this pair's Promoting note; the walk goes
     * on at the step and with the failed checks the note records, from the weights as they are.
     */
    public CanaryOutcome resume(CanaryPlan plan, Consumer<StepReport> progress) throws IOException, InterruptedException {
        SplitSnapshot last = traffic.read();
        CanaryState state = CanaryState.of(last.status());
        if (!state.isPromoting() || !plan.canary().equals(state.canary()) || !plan.primary().equals(state.primary())
                || state.steps() != plan.steps().size()) {
            throw new IllegalStateException("the split of " + plan.service() + " does not record this promotion of "
                    + plan.canary() + " running (" + (last.status() == null ? "no note" : last.status()) + ")");
        }
        return walk(plan, progress, last, plan.pairShare(last.weights()), state.step() - 1, state.failedChecks(), true);
    }

    private CanaryOutcome walk(CanaryPlan plan, Consumer<StepReport> progress, SplitSnapshot start, long share,
            int firstStep, int failedBefore, boolean noteIsOurs) throws IOException, InterruptedException {
        SplitSnapshot last = start;
        List<StepReport> reports = new ArrayList<>();
        int failedChecks = failedBefore;
        List<Integer> steps = plan.steps();
        for (int i = firstStep; i < steps.size(); i++) {
            int weight = steps.get(i);
            Optional<SplitSnapshot> moved = move(plan, last, share, weight, CanaryState.promotingNote(plan, i + 1, weight, failedChecks));
            if (moved.isEmpty()) {
                return stopped(plan, last, i > firstStep || noteIsOurs, reports);
            }
            last = moved.get();
            while (true) {
                Measurement baseline = Measurement.take(observer, plan);
                sleeper.sleep(plan.interval());
                SplitSnapshot now = traffic.read();
                if (!owned(plan, now, last)) {
                    return stopped(plan, last, true, reports);
                }
                StepReport report = baseline.reportSince(observer, plan, i + 1, weight, failedChecks);
                failedChecks = report.failedChecks();
                reports.add(report);
                progress.accept(report);
                if (report.verdict() == Verdict.PASSED) {
                    break;
                }
                if (failedChecks >= plan.threshold()) {
                    String note = CanaryState.note(Phase.ROLLED_BACK, plan, report.detail());
                    if (move(plan, last, share, 0, note).isEmpty()) {
                        return stopped(plan, last, true, reports);
                    }
                    SplitSnapshot after = traffic.read();
                    return new CanaryOutcome(Result.ROLLED_BACK, plan.canary() + " failed " + failedChecks
                            + " checks (last: " + report.detail() + "); " + pairShare(plan, after) + " is back on "
                            + plan.primary() + ": " + after.describeWeights(), reports);
                }
                moved = move(plan, last, share, weight, CanaryState.promotingNote(plan, i + 1, weight, failedChecks));
                if (moved.isEmpty()) {
                    return stopped(plan, last, true, reports);
                }
                last = moved.get();
            }
        }
        String note = CanaryState.note(Phase.PROMOTED, plan, plan.canary() + " takes the pair's share");
        if (move(plan, last, share, 100, note).isEmpty()) {
            return stopped(plan, last, true, reports);
        }
        SplitSnapshot after = traffic.read();
        return new CanaryOutcome(Result.PROMOTED, plan.canary() + " passed every step and now takes "
                + pairShare(plan, after) + " of " + plan.service() + ": " + after.describeWeights(), reports);
    }

    /** "all traffic" when the pair holds every weight, else "the pair's share (150)". */
    private static String pairShare(CanaryPlan plan, SplitSnapshot split) {
        long share = plan.pairShare(split.weights());
        long total = split.weights().values().stream().mapToLong(Long::longValue).sum();
        return share == total ? "all traffic" : "the pair's share (" + share + ")";
    }

    /**
     * Ends a promotion at once: the pair's share goes to the primary (Flagger's and Argo Rollouts'
     * abort), other backends keep theirs. The pair is the running promotion's, else {@code primary}
     * and {@code canary} (canary may be null when the split has just one other backend). See
     * {@link CanaryState} for what happens in each state.
     */
    public AbortOutcome abort(String service, String primary, String canary) throws IOException {
        AbortOutcome[] outcome = {null};
        traffic.update(now -> {
            CanaryState state = CanaryState.of(now.status());
            switch (state.phase()) {
                case PROMOTED -> throw new IllegalStateException("the promotion of " + state.canary() + " on " + service
                        + " has finished (" + now.status() + "); nothing runs to abort: move traffic back with "
                        + "`mesh canary promote` or `mesh split set`");
                case ROLLED_BACK, ABORTED -> {
                    if (primary == null && canary == null) {
                        outcome[0] = new AbortOutcome(state, state.primary(), state.canary(), now, false);
                        return null;
                    }
                }
                default -> { }
            }
            String p = pick(state.isPromoting() ? state.primary() : null, primary, "--primary", service);
            if (p == null) {
                throw new IllegalArgumentException("no promotion of " + service + " is running; say which backend "
                        + "takes the pair's share with --primary");
            }
            String c = pick(state.isPromoting() ? state.canary() : null, canary, "--canary", service);
            c = c != null ? c : onlyOtherBackend(now, p, service);
            CanaryPlan pair = new CanaryPlan(service, p, c, List.of(100), Duration.ofSeconds(1), 0, Duration.ofSeconds(1), 1);
            requireStartable(pair, new SplitSnapshot(now.weights(), null));
            SplitSnapshot after = new SplitSnapshot(pair.weightsAt(now.weights(), pair.pairShare(now.weights()), 0),
                    CanaryState.note(Phase.ABORTED, pair, "the pair's share is on " + p
                            + (state.isPromoting() ? " (stopped at step " + state.step() + "/" + state.steps() + ")" : "")));
            outcome[0] = new AbortOutcome(state, p, c, after, true);
            return after;
        });
        return outcome[0];
    }

    private static String pick(String recorded, String given, String option, String service) {
        if (recorded != null && given != null && !recorded.equals(given)) {
            throw new IllegalArgumentException(option + " " + given + " is not the running promotion's (" + recorded
                    + ") on " + service);
        }
        return recorded != null ? recorded : given;
    }

    private static String onlyOtherBackend(SplitSnapshot split, String primary, String service) {
        List<String> others = split.weights().keySet().stream().filter(b -> !b.equals(primary)).toList();
        if (others.size() != 1) {
            throw new IllegalArgumentException("the split of " + service + " has backends " + others + " besides "
                    + primary + "; say which is the canary with --canary");
        }
        return others.get(0);
    }

    /** Writes the pair at {@code canaryPercent} of its share with {@code note}, unless the pair or note changed since {@code last}. */
    private Optional<SplitSnapshot> move(CanaryPlan plan, SplitSnapshot last, long share, int canaryPercent, String note)
            throws IOException {
        return traffic.update(now -> owned(plan, now, last)
                ? new SplitSnapshot(plan.weightsAt(now.weights(), share, canaryPercent), note) : null).written();
    }

    private static boolean owned(CanaryPlan plan, SplitSnapshot now, SplitSnapshot last) {
        return plan.samePair(now.weights(), last.weights()) && Objects.equals(now.status(), last.status());
    }

    /**
     * The outcome after someone else changed the pair or the note: nothing of theirs is overwritten; the
     * note says Aborted only if it is still this promotion's own.
     */
    private CanaryOutcome stopped(CanaryPlan plan, SplitSnapshot last, boolean noteIsOurs, List<StepReport> reports)
            throws IOException {
        String[] what = {""};
        SplitSnapshot now = traffic.update(found -> {
            List<String> changes = new ArrayList<>();
            if (!plan.samePair(found.weights(), last.weights())) {
                changes.add("the weights of " + plan.primary() + "/" + plan.canary() + " were changed outside this promotion ("
                        + plan.primary() + " " + last.weight(plan.primary()) + " → " + found.weight(plan.primary()) + ", "
                        + plan.canary() + " " + last.weight(plan.canary()) + " → " + found.weight(plan.canary()) + ")");
            }
            if (!Objects.equals(found.status(), last.status())) {
                changes.add(found.status() == null ? "the status note was removed outside this promotion"
                        : "the status note now says \"" + found.status() + "\"");
            }
            what[0] = String.join(" and ", changes);
            boolean ours = noteIsOurs && Objects.equals(found.status(), last.status());
            return ours ? new SplitSnapshot(found.weights(), CanaryState.note(Phase.ABORTED, plan, what[0])) : null;
        }).after();
        return new CanaryOutcome(Result.ABORTED, what[0] + "; stopped, weights left as they are: " + now.describeWeights(),
                reports);
    }

    /** The counters of both sides at the start of an interval, or why they could not be read. */
    private record Measurement(TrafficStats primary, TrafficStats canary, IOException error) {

        static Measurement take(TrafficObserver observer, CanaryPlan plan) {
            try {
                return new Measurement(observer.read(plan.primary()), observer.read(plan.canary()), null);
            } catch (IOException e) {
                return new Measurement(null, null, e);
            }
        }

        StepReport reportSince(TrafficObserver observer, CanaryPlan plan, int step, int weight, int failedBefore) {
            Measurement end = error == null ? take(observer, plan) : this;
            if (end.error != null) {
                return new StepReport(step, plan.steps().size(), weight, 0, 0, 0, 0, 0, 0, Verdict.FAILED,
                        "metrics unavailable: " + end.error.getMessage(), failedBefore + 1, plan.threshold());
            }
            return check(plan, step, weight, end.primary.since(primary), end.canary.since(canary), failedBefore);
        }
    }

    /**
     * One interval's check of the canary's counters: no traffic, success rate, p99, then ejections of its endpoints
     * fail it in that order; the retry rate is reported and never fails it.
     */
    public static StepReport check(CanaryPlan plan, int step, int weight, TrafficStats primary, TrafficStats canary,
            int failedBefore) {
        double successRate = canary.successRatePercent();
        double p99 = canary.quantileMillis(0.99);
        double retryRate = canary.retryRatePercent();
        long maxP99Millis = plan.maxP99().toMillis();
        Verdict verdict;
        String detail;
        if (canary.requests() == 0) {
            verdict = Verdict.NO_TRAFFIC;
            detail = "no requests reached " + plan.canary() + " in " + io.meshwork.controlplane.model.Durations.format(plan.interval())
                    + "; the step is not counted as passed";
        } else if (successRate < plan.minSuccessRate()) {
            verdict = Verdict.FAILED;
            detail = String.format("success rate %.1f%% < %.1f%%", successRate, plan.minSuccessRate());
        } else if (p99 > maxP99Millis) {
            verdict = Verdict.FAILED;
            detail = String.format("p99 %.0fms > %dms", p99, maxP99Millis);
        } else if (canary.ejections() > 0) {
            // An ejected endpoint gets no requests, so its errors stop reaching the success rate: the ejection is the
            // evidence left, and it fails the check however good the rate of the endpoints still in looks.
            verdict = Verdict.FAILED;
            detail = String.format("outlier detection ejected %s endpoint %d time%s (success rate %.1f%% of what "
                    + "still reached it)", plan.canary(), canary.ejections(), canary.ejections() == 1 ? "" : "s",
                    successRate);
        } else {
            verdict = Verdict.PASSED;
            detail = String.format("success rate %.1f%%, retries %.1f%%, p99 %.0fms", successRate, retryRate, p99);
        }
        int failed = verdict == Verdict.PASSED ? failedBefore : failedBefore + 1;
        return new StepReport(step, plan.steps().size(), weight, primary.requests(), canary.requests(),
                successRate, p99, retryRate, canary.ejections(), verdict, detail, failed, plan.threshold());
    }
}
