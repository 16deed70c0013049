package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshRetry;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshRetry}: {@code spec.targetRef}, {@code attempts} (retries after the first
 * try, default 2), {@code retryOn} (Envoy's and gRPC's conditions, default as Istio's), {@code retriableStatusCodes}
 * (with {@code retriable-status-codes}), {@code perTryTimeout}, {@code backoff {baseInterval, maxInterval}} and
 * {@code budget {percent, minRetriesPerSecond}}.
 */
final class MeshRetryParser implements KindParser<MeshRetry> {

    /** grpc-java makes at most 5 attempts; Envoy has no bound, but a retry storm is what budgets are for. */
    static final int MAX_ATTEMPTS = 10;
    private static final String STATUS_CODES = "retriable-status-codes";

    @Override
    public MeshRetry parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        int attempts = spec.optionalInt("attempts").orElse(MeshRetry.DEFAULT_ATTEMPTS);
        if (attempts < 1 || attempts > MAX_ATTEMPTS) {
            throw spec.error("attempts", attempts + " is not in 1.." + MAX_ATTEMPTS + " (retries after the first try)");
        }
        List<String> retryOn = spec.has("retryOn") ? spec.stringList("retryOn") : MeshRetry.DEFAULT_RETRY_ON;
        if (retryOn.isEmpty()) {
            throw spec.error("retryOn", "is empty: name at least one of " + String.join(", ", MeshRetry.CONDITIONS));
        }
        for (int i = 0; i < retryOn.size(); i++) {
            if (!MeshRetry.CONDITIONS.contains(retryOn.get(i))) {
                throw spec.error("retryOn", "\"" + retryOn.get(i) + "\" (item " + i + ") is not a retry condition ("
                        + String.join(", ", MeshRetry.CONDITIONS) + ")");
            }
        }
        List<Integer> codes = statusCodes(spec);
        if (retryOn.contains(STATUS_CODES) != !codes.isEmpty()) {
            throw codes.isEmpty()
                    ? spec.error("retriableStatusCodes", "is required with retryOn " + STATUS_CODES)
                    : spec.error("retriableStatusCodes", "is set, but retryOn does not name " + STATUS_CODES);
        }
        Duration perTryTimeout = MeshTimeoutParser.positive(spec, "perTryTimeout");
        MeshRetry.Backoff backoff = spec.optionalObject("backoff").map(MeshRetryParser::backoff)
                .orElse(MeshRetry.Backoff.DEFAULT);
        MeshRetry.Budget budget = spec.optionalObject("budget").map(MeshRetryParser::budget).orElse(null);
        return new MeshRetry(ref, target, attempts, List.copyOf(new java.util.LinkedHashSet<>(retryOn)), codes,
                perTryTimeout, backoff, budget);
    }

    private static List<Integer> statusCodes(YamlObject spec) {
        List<Integer> codes = new ArrayList<>();
        List<String> texts = spec.stringList("retriableStatusCodes");
        for (int i = 0; i < texts.size(); i++) {
            int code;
            try {
                code = Integer.parseInt(texts.get(i));
            } catch (NumberFormatException e) {
                code = -1;
            }
            if (code < 100 || code > 599) {
                throw spec.error("retriableStatusCodes", "\"" + texts.get(i) + "\" (item " + i
                        + ") is not an HTTP status (100-599)");
            }
            codes.add(code);
        }
        return codes;
    }

    private static MeshRetry.Backoff backoff(YamlObject backoff) {
        Duration base = MeshTimeoutParser.positive(backoff, "baseInterval");
        base = base == null ? MeshRetry.Backoff.DEFAULT.baseInterval() : base;
        // Envoy's default maximum is ten times the base.
        Duration max = MeshTimeoutParser.positive(backoff, "maxInterval");
        max = max == null ? base.multipliedBy(10) : max;
        if (max.compareTo(base) < 0) {
            throw backoff.error("maxInterval", "is shorter than baseInterval (" + base.toMillis() + " ms)");
        }
        return new MeshRetry.Backoff(base, max);
    }

    private static MeshRetry.Budget budget(YamlObject budget) {
        double percent = MeshRetry.Budget.DEFAULT_PERCENT;
        if (budget.has("percent")) {
            String text = budget.optionalScalar("percent").orElseThrow().getValue();
            try {
                percent = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                percent = -1;
            }
            if (!(percent > 0 && percent <= 100)) {
                throw budget.error("percent", "\"" + text + "\" is not a percentage in (0, 100]");
            }
        }
        int min = budget.optionalInt("minRetriesPerSecond").orElse(MeshRetry.Budget.DEFAULT_MIN);
        if (min < 0) {
            throw budget.error("minRetriesPerSecond", "must not be negative");
        }
        return new MeshRetry.Budget(percent, min);
    }
}
