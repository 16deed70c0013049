package io.meshwork.controlplane.canary.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.model.Durations;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource.CustomKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code meshwork.io/v1alpha1 Canary} object: a promotion asked of the cluster's control plane, with
 * the fields {@code mesh canary promote} has as flags ({@code spec}), and what the control plane's
 * leader records while it runs it ({@code status}: {@code phase}, the weight, every check with its
 * figures, {@code conditions}). Like Flagger's Canary, it is named after the service it promotes.
 */
public final class CanaryObjects {

    public static final CustomKind CANARY = new CustomKind("meshwork.io", "v1alpha1", "Canary", "canaries");

    /** {@code status.phase}: the first while the leader runs it, the others when it ended. */
    public static final String PROGRESSING = "Progressing";
    public static final String PROMOTED = "Promoted";
    public static final String ROLLED_BACK = "RolledBack";
    public static final String ABORTED = "Aborted";
    /** The promotion could not start (a precondition failed) or stopped on an error; {@code status.message} says why. */
    public static final String FAILED = "Failed";

    /** How many checks {@code status.checks} keeps (the latest). */
    public static final int KEPT_CHECKS = 100;

    private CanaryObjects() {
    }

    public static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
            canaries(KubernetesClient client) {
        return client.genericKubernetesResources(CANARY.context());
    }

    /** A Canary named after {@code plan}'s service in {@code namespace}, with the plan as its spec. */
    public static GenericKubernetesResource object(String namespace, CanaryPlan plan) {
        return new GenericKubernetesResourceBuilder().withApiVersion(CANARY.group() + "/" + CANARY.version())
                .withKind(CANARY.kind()).withNewMetadata().withName(plan.service()).withNamespace(namespace).endMetadata()
                .addToAdditionalProperties("spec", spec(plan)).build();
    }

    /** The spec fields of {@code plan}. */
    public static Map<String, Object> spec(CanaryPlan plan) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("service", plan.service());
        spec.put("primary", plan.primary());
        spec.put("canary", plan.canary());
        spec.put("steps", new ArrayList<>(plan.steps()));
        spec.put("interval", Durations.format(plan.interval()));
        spec.put("minSuccessRate", plan.minSuccessRate());
        spec.put("maxP99", Durations.format(plan.maxP99()));
        spec.put("threshold", plan.threshold());
        return spec;
    }

    /**
     * The plan a Canary's spec asks for (defaults as the CLI's: interval 10s, minSuccessRate 99, maxP99
     * 500ms, threshold 2); a bad field is an error naming the object and the field.
     */
    public static CanaryPlan plan(GenericKubernetesResource canary) {
        String title = title(canary);
        Map<String, Object> spec = map(canary.getAdditionalProperties().get("spec"));
        if (spec == null) {
            throw new IllegalArgumentException(title + ": spec is missing");
        }
        String service = string(spec, "service", title);
        String primary = string(spec, "primary", title);
        String canaryBackend = string(spec, "canary", title);
        Object rawSteps = spec.get("steps");
        if (!(rawSteps instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException(title + ": spec.steps: a list of canary weights in percent is required");
        }
        List<Integer> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException(title + ": spec.steps[" + i + "]: " + list.get(i) + " is not an integer");
            }
            steps.add(n.intValue());
        }
        Duration interval = duration(spec, "interval", "10s", title);
        double minSuccessRate = number(spec, "minSuccessRate", 99, title);
        Duration maxP99 = duration(spec, "maxP99", "500ms", title);
        int threshold = (int) number(spec, "threshold", 2, title);
        try {
            return new CanaryPlan(service, primary, canaryBackend, steps, interval, minSuccessRate, maxP99, threshold);
        } catch (CanaryPlan.InvalidPlan e) {
            throw new IllegalArgumentException(title + ": " + e.inSpec(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(title + ": " + e.getMessage(), e);
        }
    }

    /** {@code Canary shop/reviews}. */
    public static String title(GenericKubernetesResource canary) {
        return "Canary " + canary.getMetadata().getNamespace() + "/" + canary.getMetadata().getName();
    }

    /** {@code status} as a map (empty when there is none). */
    public static Map<String, Object> status(GenericKubernetesResource canary) {
        Map<String, Object> status = map(canary.getAdditionalProperties().get("status"));
        return status == null ? Map.of() : status;
    }

    /** {@code status.phase}, or null before the control plane took the object up. */
    public static String phase(GenericKubernetesResource canary) {
        Object phase = status(canary).get("phase");
        return phase == null ? null : phase.toString();
    }

    /** {@code status.observedGeneration}: the spec generation the status is about; -1 when none. */
    public static long observedGeneration(GenericKubernetesResource canary) {
        return status(canary).get("observedGeneration") instanceof Number n ? n.longValue() : -1;
    }

    /** {@code metadata.generation}, which the API server raises on every spec change (1 when absent). */
    public static long generation(GenericKubernetesResource canary) {
        Long generation = canary.getMetadata().getGeneration();
        return generation == null ? 1 : generation;
    }

    /** Whether {@code phase} is an end state. */
    public static boolean finished(String phase) {
        return PROMOTED.equals(phase) || ROLLED_BACK.equals(phase) || ABORTED.equals(phase) || FAILED.equals(phase);
    }

    /** {@code status.checks}, oldest first. */
    public static List<Map<String, Object>> checks(GenericKubernetesResource canary) {
        List<Map<String, Object>> checks = new ArrayList<>();
        if (status(canary).get("checks") instanceof List<?> list) {
            for (Object check : list) {
                Map<String, Object> m = map(check);
                if (m != null) {
                    checks.add(m);
                }
            }
        }
        return checks;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    private static String string(Map<String, Object> spec, String field, String title) {
        Object value = spec.get(field);
        if (!(value instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(title + ": spec." + field + " is required (a Service name)");
        }
        return s;
    }

    private static Duration duration(Map<String, Object> spec, String field, String fallback, String title) {
        Object value = spec.getOrDefault(field, fallback);
        try {
            return Durations.parseWithUnits(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(title + ": spec." + field + ": " + e.getMessage());
        }
    }

    private static double number(Map<String, Object> spec, String field, double fallback, String title) {
        Object value = spec.getOrDefault(field, fallback);
        if (!(value instanceof Number n)) {
            throw new IllegalArgumentException(title + ": spec." + field + ": " + value + " is not a number");
        }
        return n.doubleValue();
    }
}
