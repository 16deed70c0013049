package io.meshwork.cli;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.StepReport;
import io.meshwork.controlplane.canary.kubernetes.CanaryObjects;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code mesh canary} on a cluster: a promotion is a {@code meshwork.io/v1alpha1 Canary} object that the
 * control plane's leader runs (it reaches the pods' metrics; a laptop may not, and may go away); the
 * CLI writes the object and follows its {@code status}, printing each check as it is recorded.
 */
final class ClusterCanary {

    /** How long the CLI waits for the control plane to take a new Canary up before saying so. */
    static final Duration NO_LEADER_HINT = Duration.ofSeconds(15);
    private static final Duration POLL = Duration.ofMillis(250);

    private ClusterCanary() {
    }

    /**
     * Writes the Canary for {@code plan} (a finished one of the same name is replaced; a running one is
     * refused), then follows it until it ends: 0 when promoted, 1 otherwise.
     */
    static int promote(TrafficTarget target, CanaryPlan plan, PrintStream out) throws IOException, InterruptedException {
        var canaries = CanaryObjects.canaries(target.kube.client()).inNamespace(target.namespace);
        String title = "Canary " + target.namespace + "/" + plan.service();
        GenericKubernetesResource existing = canaries.withName(plan.service()).get();
        if (existing != null) {
            String phase = CanaryObjects.phase(existing);
            if (CanaryObjects.PROGRESSING.equals(phase)) {
                throw new IllegalStateException(title + " is running (" + describe(existing) + "); stop it with `mesh canary "
                        + "abort " + plan.service() + " --kubeconfig ...` first");
            }
            // A finished (or never started) promotion of the same name: a new object, so the leader starts afresh.
            canaries.withName(plan.service()).delete();
            awaitGone(canaries, plan.service());
        }
        GenericKubernetesResource created = canaries.resource(CanaryObjects.object(target.namespace, plan)).create();
        out.println(title + " created in cluster " + target.kube.clusterName() + ": the control plane's leader runs the "
                + "promotion; this command follows its status (Ctrl-C stops following, not the promotion)");
        return follow(canaries, created, plan, out);
    }

    private static int follow(NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> canaries, GenericKubernetesResource created, CanaryPlan plan, PrintStream out)
            throws InterruptedException {
        String name = created.getMetadata().getName();
        String uid = created.getMetadata().getUid();
        long start = System.nanoTime();
        boolean hinted = false;
        long printed = 0;
        while (true) {
            GenericKubernetesResource now = canaries.withName(name).get();
            if (now == null || (uid != null && !uid.equals(now.getMetadata().getUid()))) {
                throw new IllegalStateException(CanaryObjects.title(created) + " was deleted while it ran; the split keeps "
                        + "the weights it had then (see `mesh canary status " + plan.service() + "`)");
            }
            if (CanaryObjects.observedGeneration(now) == CanaryObjects.generation(now)) {
                for (Map<String, Object> check : CanaryObjects.checks(now)) {
                    long number = ((Number) check.get("number")).longValue();
                    if (number > printed) {
                        out.println(CanaryCommand.progressLine(report(check, now, plan), plan));
                        printed = number;
                    }
                }
                String phase = CanaryObjects.phase(now);
                if (CanaryObjects.finished(phase)) {
                    Object message = CanaryObjects.status(now).get("message");
                    out.println(words(phase) + ": " + message);
                    return CanaryObjects.PROMOTED.equals(phase) ? 0 : 1;
                }
            } else if (!hinted && System.nanoTime() - start > NO_LEADER_HINT.toNanos()) {
                hinted = true;
                out.println("waiting for the control plane to take up " + CanaryObjects.title(now) + " (is `mesh control-plane "
                        + "--kubernetes` running, with the CRDs of `mesh install`?)");
            }
            TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
        }
    }

    /** One line on a Canary's state: {@code Progressing, step 1/2 at 50% of the pair, failed checks 0}. */
    static String describe(GenericKubernetesResource canary) {
        Map<String, Object> status = CanaryObjects.status(canary);
        String phase = CanaryObjects.phase(canary);
        if (phase == null || CanaryObjects.observedGeneration(canary) != CanaryObjects.generation(canary)) {
            return "not taken up by a control plane yet";
        }
        String line = phase + ", step " + status.get("step") + "/" + status.get("steps") + " at " + status.get("canaryWeight")
                + "% of the pair, failed checks " + status.get("failedChecks");
        return line + (status.get("message") != null ? ": " + status.get("message") : "");
    }

    /** A recorded check as the report {@link CanaryCommand#progressLine} prints. */
    private static StepReport report(Map<String, Object> check, GenericKubernetesResource canary, CanaryPlan plan) {
        Object steps = CanaryObjects.status(canary).get("steps");
        return new StepReport(integer(check, "step"), steps instanceof Number n ? n.intValue() : plan.steps().size(),
                integer(check, "canaryWeight"), number(check, "primaryRequests").longValue(),
                number(check, "canaryRequests").longValue(), number(check, "successRate").doubleValue(),
                number(check, "p99Millis").doubleValue(), number(check, "retryRate").doubleValue(),
                number(check, "ejections").longValue(), StepReport.Verdict.valueOf(String.valueOf(check.get("verdict"))),
                String.valueOf(check.get("detail")), integer(check, "failedChecks"), plan.threshold());
    }

    private static int integer(Map<String, Object> check, String field) {
        return number(check, field).intValue();
    }

    private static Number number(Map<String, Object> check, String field) {
        return check.get(field) instanceof Number n ? n : 0;
    }

    /** {@code RolledBack} → {@code rolled back}, as the local promotion prints its result. */
    static String words(String phase) {
        return phase.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase();
    }

    private static void awaitGone(NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> canaries, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (canaries.withName(name).get() != null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Canary " + name + " is still there 30 s after it was deleted (a finalizer?)");
            }
            TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
        }
    }
}
