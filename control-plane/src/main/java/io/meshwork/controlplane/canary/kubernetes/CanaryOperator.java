package io.meshwork.controlplane.canary.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshwork.controlplane.canary.CanaryController;
import io.meshwork.controlplane.canary.CanaryOutcome;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.CanaryState;
import io.meshwork.controlplane.canary.StepReport;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the cluster's {@code meshwork.io/v1alpha1 Canary} objects on the control plane's leader, so a
 * promotion does not depend on a laptop staying connected. Every replica watches the objects; only
 * the leader acts: a Canary whose spec it has not yet run ({@code status.observedGeneration} behind
 * {@code metadata.generation}) starts a promotion ({@link CanaryController#promote}) of the
 * namespace's TrafficSplit, with the sidecars' metrics read from the meshed pods ({@link PodMetrics});
 * a Canary still {@code Progressing} with no run here (its leader went away) is taken over where the
 * split's note says it stands ({@link CanaryController#resume}). Every check is recorded in
 * {@code status} (phase, weight, the check's figures, conditions), which {@code mesh canary promote
 * --kubeconfig} follows. Losing the leadership stops the runs without writing; the next leader resumes them.
 */
public final class CanaryOperator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CanaryOperator.class);

    private final KubernetesClient client;
    private final Supplier<List<Pod>> pods;
    private final CanaryController.Sleeper sleeper;
    private final String identity;
    private final Map<String, Thread> runs = new ConcurrentHashMap<>();
    /** Per Canary, the generation a run here last ended (the informer may not show that status yet). */
    private final Map<String, String> ended = new ConcurrentHashMap<>();
    private SharedIndexInformer<GenericKubernetesResource> informer;
    private boolean leading;
    private boolean closed;

    /**
     * @param pods the cluster's pods as the informers hold them (whose meshed ones are scraped)
     * @param identity this replica's name, recorded in status messages
     */
    public CanaryOperator(KubernetesClient client, Supplier<List<Pod>> pods, CanaryController.Sleeper sleeper,
            String identity) {
        this.client = client;
        this.pods = pods;
        this.sleeper = sleeper;
        this.identity = identity;
    }

    /** Starts watching Canary objects (without waiting: the CRD may be installed later). */
    public void start() {
        informer = CanaryObjects.canaries(client).inAnyNamespace().runnableInformer(0);
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watching Canaries: {}; retrying (is the Canary CRD installed? mesh install adds it)", t.getMessage());
            return true;
        });
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource canary) {
                reconcile(canary);
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource canary) {
                reconcile(canary);
            }

            @Override
            public void onDelete(GenericKubernetesResource canary, boolean finalStateUnknown) {
                Thread run = runs.get(key(canary));
                if (run != null) {
                    LOG.info("{} was deleted: stopping its promotion, weights left as they are", CanaryObjects.title(canary));
                    run.interrupt();
                }
            }
        });
        informer.start();
    }

    /** Whether this replica leads: becoming leader takes up every Canary that needs running; losing it stops the runs. */
    public synchronized void leading(boolean leading) {
        this.leading = leading;
        if (leading) {
            if (informer != null) {
                informer.getStore().list().forEach(this::reconcile);
            }
        } else {
            runs.values().forEach(Thread::interrupt);
        }
    }

    /** How many promotions run here now. */
    public int running() {
        return runs.size();
    }

    private synchronized void reconcile(GenericKubernetesResource canary) {
        if (!leading || closed || runs.containsKey(key(canary))) {
            return;
        }
        long generation = CanaryObjects.generation(canary);
        if (runOf(canary, generation).equals(ended.get(key(canary)))) {
            return; // ended here; what the store shows may be older than what the run wrote
        }
        boolean fresh = CanaryObjects.observedGeneration(canary) != generation;
        boolean resume = !fresh && CanaryObjects.PROGRESSING.equals(CanaryObjects.phase(canary));
        if (!fresh && !resume) {
            return;
        }
        Thread run = new Thread(() -> run(canary, generation, resume), "canary-" + key(canary));
        run.setDaemon(true);
        runs.put(key(canary), run);
        run.start();
    }

    private void run(GenericKubernetesResource canary, long generation, boolean resume) {
        String namespace = canary.getMetadata().getNamespace();
        String name = canary.getMetadata().getName();
        String title = CanaryObjects.title(canary);
        boolean interrupted = false;
        try {
            CanaryPlan plan = CanaryObjects.plan(canary);
            ClusterSplitControl split = new ClusterSplitControl(client, client.getMasterUrl().toString(), namespace,
                    plan.service());
            CanaryController controller = new CanaryController(split, new PodMetrics(pods, namespace), sleeper);
            CanaryOutcome outcome;
            if (resume) {
                CanaryState state = CanaryState.of(split.read().status());
                if (!state.isPromoting() && plan.canary().equals(state.canary())) {
                    // the last leader ended it in the split but not in the object: record what the split says
                    writeStatus(namespace, name, s -> finished(s, generation, phaseOf(state), state.detail()));
                    return;
                }
                LOG.info("{}: taking over the promotion of {} at step {}/{} as {}", title, plan.canary(), state.step(),
                        state.steps(), identity);
                writeStatus(namespace, name, s -> put(s, "message", "taken over by " + identity + " at step "
                        + state.step() + "/" + state.steps()));
                outcome = controller.resume(plan, report -> writeStatus(namespace, name, s -> checked(s, report)));
            } else {
                LOG.info("{}: promoting {} over {} on {}: steps {}", title, plan.canary(), plan.primary(), plan.service(),
                        plan.steps());
                writeStatus(namespace, name, s -> started(s, generation, plan));
                outcome = controller.promote(plan, report -> writeStatus(namespace, name, s -> checked(s, report)));
            }
            String phase = switch (outcome.result()) {
                case PROMOTED -> CanaryObjects.PROMOTED;
                case ROLLED_BACK -> CanaryObjects.ROLLED_BACK;
                case ABORTED -> CanaryObjects.ABORTED;
            };
            LOG.info("{}: {}: {}", title, phase, outcome.reason());
            writeStatus(namespace, name, s -> finished(s, generation, phase, outcome.reason()));
        } catch (InterruptedException e) {
            interrupted = true;
            LOG.info("{}: promotion stopped here (no longer leading, deleted, or closing); the split keeps its weights", title);
        } catch (IllegalArgumentException | IllegalStateException | IOException | KubernetesClientException e) {
            if (Thread.currentThread().isInterrupted()) { // a call cut short by the interrupt, not a failure of the run
                interrupted = true;
                LOG.info("{}: promotion stopped here (no longer leading, deleted, or closing)", title);
            } else {
                String message = e.getMessage() != null && e.getMessage().startsWith(title) ? e.getMessage()
                        : title + ": " + e.getMessage();
                LOG.warn("{}", message);
                writeStatus(namespace, name, s -> finished(s, generation, CanaryObjects.FAILED, e.getMessage()));
            }
        } finally {
            if (!interrupted && !Thread.currentThread().isInterrupted()) {
                ended.put(namespace + "/" + name, runOf(canary, generation));
            }
            runs.remove(namespace + "/" + name);
            GenericKubernetesResource latest = informer.getStore().getByKey(namespace + "/" + name);
            if (latest != null) {
                reconcile(latest); // a spec changed while this ran starts again now
            }
        }
    }

    private static String phaseOf(CanaryState state) {
        return switch (state.phase()) {
            case PROMOTED -> CanaryObjects.PROMOTED;
            case ROLLED_BACK -> CanaryObjects.ROLLED_BACK;
            case ABORTED -> CanaryObjects.ABORTED;
            default -> CanaryObjects.FAILED;
        };
    }

    private static Map<String, Object> started(Map<String, Object> status, long generation, CanaryPlan plan) {
        status.clear();
        status.put("phase", CanaryObjects.PROGRESSING);
        status.put("observedGeneration", generation);
        status.put("canaryWeight", 0);
        status.put("step", 0);
        status.put("steps", plan.steps().size());
        status.put("failedChecks", 0);
        status.put("message", "moving " + plan.steps().get(0) + "% of the pair's share to " + plan.canary());
        status.put("checks", new ArrayList<>());
        status.put("conditions", List.of(condition("Unknown", CanaryObjects.PROGRESSING, "promotion running")));
        return status;
    }

    private static Map<String, Object> checked(Map<String, Object> status, StepReport report) {
        status.put("canaryWeight", report.canaryWeight());
        status.put("step", report.step());
        status.put("steps", report.steps());
        status.put("failedChecks", report.failedChecks());
        status.put("message", report.detail());
        List<Object> checks = new ArrayList<>(status.get("checks") instanceof List<?> l ? l : List.of());
        long number = checks.isEmpty() ? 1 : ((Number) CanaryObjects.map(checks.get(checks.size() - 1)).get("number")).longValue() + 1;
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("number", number);
        check.put("time", Instant.now().toString());
        check.put("step", report.step());
        check.put("canaryWeight", report.canaryWeight());
        check.put("primaryRequests", report.primaryRequests());
        check.put("canaryRequests", report.canaryRequests());
        check.put("successRate", finite(report.canarySuccessRate()));
        check.put("p99Millis", finite(report.canaryP99Millis()));
        check.put("retryRate", finite(report.canaryRetryRate()));
        check.put("ejections", report.canaryEjections());
        check.put("verdict", report.verdict().name());
        check.put("detail", report.detail());
        check.put("failedChecks", report.failedChecks());
        checks.add(check);
        while (checks.size() > CanaryObjects.KEPT_CHECKS) {
            checks.remove(0);
        }
        status.put("checks", checks);
        return status;
    }

    private static Map<String, Object> finished(Map<String, Object> status, long generation, String phase, String message) {
        status.put("phase", phase);
        status.put("observedGeneration", generation);
        status.put("message", message);
        if (CanaryObjects.PROMOTED.equals(phase)) {
            status.put("canaryWeight", 100);
        } else if (CanaryObjects.ROLLED_BACK.equals(phase)) {
            status.put("canaryWeight", 0);
        }
        status.put("conditions", List.of(condition(CanaryObjects.PROMOTED.equals(phase) ? "True" : "False", phase, message)));
        return status;
    }

    private static Map<String, Object> put(Map<String, Object> status, String field, Object value) {
        status.put(field, value);
        return status;
    }

    private static Map<String, Object> condition(String status, String reason, String message) {
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("type", "Promoted");
        condition.put("status", status);
        condition.put("reason", reason);
        condition.put("message", message);
        condition.put("lastTransitionTime", Instant.now().toString());
        return condition;
    }

    /** JSON has no NaN: a rate or quantile of no requests is recorded as 0. */
    private static double finite(double value) {
        return Double.isFinite(value) ? value : 0;
    }

    /** Edits the object's status subresource; a failure is logged, the promotion goes on (the split is the truth). */
    private void writeStatus(String namespace, String name, UnaryOperator<Map<String, Object>> change) {
        try {
            CanaryObjects.canaries(client).inNamespace(namespace).withName(name).editStatus(canary -> {
                Map<String, Object> status = new LinkedHashMap<>(CanaryObjects.status(canary));
                canary.getAdditionalProperties().put("status", change.apply(status));
                return canary;
            });
        } catch (KubernetesClientException e) {
            LOG.warn("Canary {}/{}: cannot record status: {}", namespace, name, e.getMessage());
        }
    }

    /** One spec of one object: a Canary deleted and created again is another run, though its generation is 1 again. */
    private static String runOf(GenericKubernetesResource canary, long generation) {
        return canary.getMetadata().getUid() + "/" + generation;
    }

    private static String key(GenericKubernetesResource canary) {
        return canary.getMetadata().getNamespace() + "/" + canary.getMetadata().getName();
    }

    @Override
    public synchronized void close() {
        closed = true;
        runs.values().forEach(Thread::interrupt);
        if (informer != null) {
            informer.stop();
        }
    }
}
