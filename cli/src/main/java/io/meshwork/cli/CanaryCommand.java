package io.meshwork.cli;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshwork.controlplane.canary.CanaryController;
import io.meshwork.controlplane.canary.CanaryOutcome;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.CanaryState;
import io.meshwork.controlplane.canary.SplitControl;
import io.meshwork.controlplane.canary.SplitSnapshot;
import io.meshwork.controlplane.canary.StepReport;
import io.meshwork.controlplane.canary.TrafficStats;
import io.meshwork.controlplane.canary.kubernetes.CanaryObjects;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mesh canary promote|status|abort}: progressive delivery in the style of Flagger and Argo Rollouts. */
@Command(name = "canary", description = "Promote a canary step by step, watch it, or abort it.",
        subcommands = {CanaryCommand.Promote.class, CanaryCommand.Status.class, CanaryCommand.Abort.class})
public final class CanaryCommand {

    @Command(name = "promote", description = "Shift the share primary and canary hold to the canary step by step "
            + "while it stays healthy; give it back to the primary after --threshold failed checks. Nothing is written "
            + "unless the pair has weight, no promotion runs, the config stays valid and the metrics can be read.")
    static final class Promote implements Callable<Integer> {
        @Mixin
        TrafficTarget target;

        @Parameters(paramLabel = "SERVICE", description = "The root service clients call.")
        String service;

        @Option(names = "--canary", required = true, paramLabel = "BACKEND", description = "The new version's Service.")
        String canary;

        @Option(names = "--primary", paramLabel = "BACKEND",
                description = "The current version's Service (default: the backend with the most weight).")
        String primary;

        @Option(names = "--steps", split = ",", paramLabel = "W", description = "Canary weights in percent of the share primary and canary hold together "
                + "(other backends keep theirs), e.g. 10,25,50,100.")
        List<Integer> steps;

        @Option(names = "--step-weight", paramLabel = "STEP_WEIGHT", description = "Step size in percent, with --max-weight.")
        Integer stepWeight;

        @Option(names = "--max-weight", paramLabel = "MAX_WEIGHT", defaultValue = "100", description = "Last step (default: ${DEFAULT-VALUE}).")
        int maxWeight;

        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
                description = "How long to watch each step (default: ${DEFAULT-VALUE}).")
        Duration interval;

        @Option(names = "--min-success-rate", paramLabel = "MIN_SUCCESS_RATE", defaultValue = "99", description = "Percent of non-5xx responses (default: ${DEFAULT-VALUE}).")
        double minSuccessRate;

        @Option(names = "--max-p99", paramLabel = "DURATION", defaultValue = "500ms", converter = DurationConverter.class,
                description = "Highest acceptable p99 duration (default: ${DEFAULT-VALUE}).")
        Duration maxP99;

        @Option(names = "--threshold", paramLabel = "THRESHOLD", defaultValue = "2", description = "Failed checks before rollback (default: ${DEFAULT-VALUE}).")
        int threshold;

        @Option(names = "--control-plane", paramLabel = "CONTROL_PLANE", defaultValue = "http://127.0.0.1:15014",
                description = "Control plane admin URL, to find the sidecars' metrics (default: ${DEFAULT-VALUE}).")
        URI controlPlane;

        @Option(names = "--metrics-url", paramLabel = "URL",
                description = "Read metrics from these sidecar URLs instead of asking the control plane.")
        List<URI> metricsUrls = List.of();

        @Option(names = "--no-color", description = "Plain output.")
        boolean noColor;

        @Override
        public Integer call() throws Exception {
            try (TrafficTarget opened = target) {
                SplitControl control = target.control(service);
                SplitControl.Ref ref = control.ref();
                SplitSnapshot start = control.read();
                requireBackend(ref, start, canary, "--canary");
                String primaryBackend = primary != null ? primary : heaviestOtherThan(start.weights(), canary);
                requireBackend(ref, start, primaryBackend, "--primary");
                List<Integer> plannedSteps = steps != null ? steps
                        : CanaryPlan.linearSteps(stepWeight != null ? stepWeight : 10, maxWeight);
                CanaryPlan plan = new CanaryPlan(service, primaryBackend, canary, plannedSteps, interval, minSuccessRate,
                        maxP99, threshold);
                // every precondition before the first write: state, pair share, config, metrics
                long share = CanaryController.requireStartable(plan, start);
                for (Map<String, Long> weights : CanaryController.plannedWeights(plan, start)) {
                    control.requireValid(weights);
                }
                if (target.kube.onCluster() && !metricsUrls.isEmpty()) {
                    throw new IllegalArgumentException("--metrics-url is for local mode: in a cluster the control plane "
                            + "reads the meshed pods' metrics");
                }
                // on a cluster the control plane's leader reads the pods' metrics; here they must be readable before any write
                SidecarMetrics metrics = target.kube.onCluster() ? null
                        : new SidecarMetrics(controlPlane, metricsUrls, target.namespace);
                if (metrics != null) {
                    metrics.read(canary); // fails naming the control plane or the sidecars when metrics cannot be read
                }
                System.out.printf("Promoting %s on %s (%s): steps %s of the %d that %s and %s hold (%s at %s)%s, interval %s, "
                                + "success rate >= %s%%, p99 <= %s, threshold %d%n",
                        canary, service, ref.title(), plannedSteps, share, primaryBackend, canary, canary,
                        plannedSteps.stream().map(w -> plan.weightsAt(start.weights(), share, w).get(canary).toString())
                                .collect(Collectors.joining(", ")),
                        othersKeep(start, plan), DurationConverter.format(interval), fmt(minSuccessRate),
                        DurationConverter.format(maxP99), threshold);
                if (target.kube.onCluster()) {
                    return ClusterCanary.promote(target, plan, System.out);
                }
                CanaryController controller = new CanaryController(control, metrics, d -> Thread.sleep(d.toMillis()));
                CanaryOutcome outcome = controller.promote(plan, report -> System.out.println(progressLine(report, plan)));
                System.out.println(outcome.result().name().toLowerCase().replace('_', ' ') + ": " + outcome.reason());
                return outcome.result() == CanaryOutcome.Result.PROMOTED ? 0 : 1;
            }
        }
    }

    @Command(name = "status", description = "Show SERVICE's weights and the state of its promotion.")
    static final class Status implements Callable<Integer> {
        @Mixin
        TrafficTarget target;

        @Parameters(paramLabel = "SERVICE")
        String service;

        @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
                description = "table, json or yaml; the split's fields and the promotion's state (default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @Override
        public Integer call() throws Exception {
            try (TrafficTarget opened = target) {
                SplitControl control = target.control(service);
                SplitControl.Ref ref = control.ref();
                SplitSnapshot split = control.read();
                GenericKubernetesResource canaryObject = target.kube.onCluster()
                        ? CanaryObjects.canaries(target.kube.client()).inNamespace(target.namespace).withName(service).get() : null;
                if (output != OutputFormat.table) {
                    var json = SplitCommand.json(ref, split).put("state", CanaryState.of(split.status()).title());
                    if (canaryObject != null) {
                        json.set("canaryObject", OutputFormat.JSON.valueToTree(Map.of("name", canaryObject.getMetadata().getName(),
                                "status", CanaryObjects.status(canaryObject))));
                    }
                    output.print(json);
                    return 0;
                }
                long total = SplitCommand.total(split.weights());
                Table table = new Table("BACKEND", "WEIGHT", "SHARE");
                split.weights().forEach((b, w) -> table.row(b, Long.toString(w), SplitCommand.share(w, total)));
                System.out.println(ref.title());
                table.print(System.out);
                System.out.println("state: " + CanaryState.of(split.status()).title());
                System.out.println("canary: " + (split.status() != null ? split.status() : "no promotion has run"));
                if (target.kube.onCluster()) {
                    System.out.println("object: " + (canaryObject == null ? "no Canary " + target.namespace + "/" + service
                            : CanaryObjects.title(canaryObject) + ": " + ClusterCanary.describe(canaryObject)));
                }
                return 0;
            }
        }
    }

    @Command(name = "abort", description = "Stop a running promotion at once: the share its primary and canary hold "
            + "goes to the primary, other backends keep theirs, and the promotion sees it and stops.")
    static final class Abort implements Callable<Integer> {
        @Mixin
        TrafficTarget target;

        @Parameters(paramLabel = "SERVICE")
        String service;

        @Option(names = "--primary", paramLabel = "BACKEND", description = "The backend that takes the pair's share "
                + "when no promotion is running (default: the running promotion's primary).")
        String primary;

        @Option(names = "--canary", paramLabel = "BACKEND", description = "The backend whose weight goes to the primary "
                + "when no promotion is running (default: the running promotion's canary, or the split's only other backend).")
        String canary;

        @Override
        public Integer call() throws Exception {
            CanaryController.AbortOutcome outcome;
            try (TrafficTarget opened = target) {
                CanaryController controller = new CanaryController(target.control(service), b -> TrafficStats.EMPTY, d -> { });
                outcome = controller.abort(service, primary, canary);
            }
            if (!outcome.wrote()) {
                System.out.println("nothing to abort: no promotion of " + service + " is running (last: "
                        + outcome.after().status() + "); nothing written; weights: " + outcome.after().describeWeights());
                return 0;
            }
            CanaryState found = outcome.found();
            System.out.println("aborted" + (found.isPromoting() ? " the promotion of " + found.canary() + " at step "
                    + found.step() + "/" + found.steps() : "") + " on " + service + ": the share of " + outcome.primary()
                    + " and " + outcome.canary() + " (" + outcome.after().weight(outcome.primary()) + ") is all on "
                    + outcome.primary() + "; weights now " + outcome.after().describeWeights()
                    + othersKeep(outcome.after(), outcome.primary(), outcome.canary()));
            if (target.kube.onCluster() && found.isPromoting()) {
                System.out.println("the control plane's run of Canary " + target.namespace + "/" + service
                        + " sees this at its next check, stops and records Aborted");
            }
            return 0;
        }
    }

    /** {@code  (reviews-v3 keeps 50, outside the promotion)}, naming every backend outside the pair, or nothing. */
    static String othersKeep(SplitSnapshot split, String primary, String canary) {
        String others = split.weights().entrySet().stream()
                .filter(e -> !e.getKey().equals(primary) && !e.getKey().equals(canary))
                .map(e -> e.getKey() + " keeps " + e.getValue()).collect(Collectors.joining(", "));
        return others.isEmpty() ? "" : " (" + others + ", outside the promotion)";
    }

    private static String othersKeep(SplitSnapshot split, CanaryPlan plan) {
        return othersKeep(split, plan.primary(), plan.canary());
    }

    static void requireBackend(SplitControl.Ref ref, SplitSnapshot split, String backend, String option) {
        if (!split.weights().containsKey(backend)) {
            throw new IllegalArgumentException(option + " " + backend + " is not a backend of " + ref.title()
                    + " (backends: " + String.join(", ", split.weights().keySet()) + ")");
        }
    }

    static String heaviestOtherThan(Map<String, Long> weights, String other) {
        return weights.entrySet().stream().filter(e -> !e.getKey().equals(other))
                .max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElseThrow(() -> new IllegalArgumentException("the split has no backend other than " + other));
    }

    public static String progressLine(StepReport r, CanaryPlan plan) {
        int width = 20;
        int filled = r.canaryWeight() * width / 100;
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        return String.format("[%s] %3d%%  step %d/%d  %s %d req  %s %d req  success %5.1f%%  retries %4.1f%%  p99 %4.0fms"
                        + "%s  %s%s",
                bar, r.canaryWeight(), r.step(), r.steps(), plan.primary(), r.primaryRequests(), plan.canary(),
                r.canaryRequests(), r.canarySuccessRate(), r.canaryRetryRate(), r.canaryP99Millis(),
                r.canaryEjections() > 0 ? "  ejected " + r.canaryEjections() + "x" : "", r.verdict(),
                r.verdict() == StepReport.Verdict.PASSED ? ""
                        : " (" + r.detail() + "; failed checks " + r.failedChecks() + "/" + r.threshold() + ")");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
