package io.meshwork.controlplane.canary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to promote a canary: the weight steps to walk, how long to watch each one, and the checks a
 * step must pass (Flagger's {@code stepWeights}, {@code interval}, {@code threshold}).
 *
 * @param service the TrafficSplit's root service, {@code namespace/name} is implied by the caller
 * @param steps canary weights in percent, strictly increasing, each in 1..100
 * @param minSuccessRate lowest acceptable share of non-5xx responses, in percent
 * @param maxP99 highest acceptable 99th percentile request duration
 * @param threshold failed checks after which all traffic goes back to the primary
 */
public record CanaryPlan(
        String service,
        String primary,
        String canary,
        List<Integer> steps,
        Duration interval,
        double minSuccessRate,
        Duration maxP99,
        int threshold) {

    public CanaryPlan {
        steps = List.copyOf(steps);
        requireValid(service, primary, canary, steps, interval, minSuccessRate, maxP99, threshold);
    }

    /** The weight primary and canary hold together: the share a promotion moves between them. */
    public long pairShare(Map<String, Long> weights) {
        return weights.getOrDefault(primary, 0L) + weights.getOrDefault(canary, 0L);
    }

    /**
     * {@code weights} with {@code pairShare} split between canary ({@code canaryPercent} of it, rounded,
     * at least 1 above 0% and less than the share below 100%) and primary (the rest); every other
     * backend keeps its weight.
     */
    public Map<String, Long> weightsAt(Map<String, Long> weights, long pairShare, int canaryPercent) {
        long canaryWeight = Math.round(pairShare * canaryPercent / 100.0);
        if (canaryPercent > 0 && canaryWeight == 0) {
            canaryWeight = 1;
        }
        if (canaryPercent < 100 && canaryWeight >= pairShare && pairShare > 1) {
            canaryWeight = pairShare - 1;
        }
        Map<String, Long> result = new LinkedHashMap<>(weights);
        result.put(primary, pairShare - canaryWeight);
        result.put(canary, canaryWeight);
        return result;
    }

    /** Whether primary and canary have the same weights in both (other backends do not count). */
    public boolean samePair(Map<String, Long> a, Map<String, Long> b) {
        return a.containsKey(primary) == b.containsKey(primary) && a.containsKey(canary) == b.containsKey(canary)
                && a.getOrDefault(primary, 0L).equals(b.getOrDefault(primary, 0L))
                && a.getOrDefault(canary, 0L).equals(b.getOrDefault(canary, 0L));
    }

    /** Steps {@code stepWeight, 2*stepWeight, ...} up to {@code maxWeight} (which is always the last step). */
    public static List<Integer> linearSteps(int stepWeight, int maxWeight) {
        if (stepWeight < 1 || stepWeight > 100) {
            throw new IllegalArgumentException("--step-weight must be in 1..100, got " + stepWeight);
        }
        if (maxWeight < 1 || maxWeight > 100) {
            throw new IllegalArgumentException("--max-weight must be in 1..100, got " + maxWeight);
        }
        List<Integer> steps = new ArrayList<>();
        for (int w = stepWeight; w < maxWeight; w += stepWeight) {
            steps.add(w);
        }
        steps.add(maxWeight);
        return steps;
    }

    /** A plan's settings, as the CLI's flags and as the {@code Canary} object's spec fields name them. */
    public enum Field {
        STEPS("--steps", "spec.steps"),
        INTERVAL("--interval", "spec.interval"),
        MIN_SUCCESS_RATE("--min-success-rate", "spec.minSuccessRate"),
        MAX_P99("--max-p99", "spec.maxP99"),
        THRESHOLD("--threshold", "spec.threshold");

        private final String flag;
        private final String specField;

        Field(String flag, String specField) {
            this.flag = flag;
            this.specField = specField;
        }
    }

    /** A setting out of range: the message names the CLI's flag, {@link #inSpec()} the Canary object's field. */
    public static final class InvalidPlan extends IllegalArgumentException {
        private final Field field;
        private final String problem;

        InvalidPlan(Field field, String problem) {
            super(field.flag + problem);
            this.field = field;
            this.problem = problem;
        }

        /** The same problem naming the {@code Canary} object's field: {@code spec.steps must increase, ...}. */
        public String inSpec() {
            return field.specField + problem;
        }
    }

    private static void requireValid(String service, String primary, String canary, List<Integer> steps,
            Duration interval, double minSuccessRate, Duration maxP99, int threshold) {
        if (primary.equals(canary)) {
            throw new IllegalArgumentException("canary and primary are both \"" + canary + "\"");
        }
        if (steps.isEmpty()) {
            throw new InvalidPlan(Field.STEPS, " is empty");
        }
        int previous = 0;
        for (int step : steps) {
            if (step < 1 || step > 100) {
                throw new InvalidPlan(Field.STEPS, ": weight " + step + " is not in 1..100");
            }
            if (step <= previous) {
                throw new InvalidPlan(Field.STEPS, " must increase, but " + step + " follows " + previous);
            }
            previous = step;
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new InvalidPlan(Field.INTERVAL, " must be positive, got " + io.meshwork.controlplane.model.Durations.format(interval));
        }
        if (minSuccessRate < 0 || minSuccessRate > 100) {
            throw new InvalidPlan(Field.MIN_SUCCESS_RATE, " must be in 0..100, got " + minSuccessRate);
        }
        if (maxP99.isNegative() || maxP99.isZero()) {
            throw new InvalidPlan(Field.MAX_P99, " must be positive, got " + io.meshwork.controlplane.model.Durations.format(maxP99));
        }
        if (threshold < 1) {
            throw new InvalidPlan(Field.THRESHOLD, " must be at least 1, got " + threshold);
        }
    }
}
