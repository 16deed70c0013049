package io.meshwork.controlplane.canary;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a service's default TrafficSplit holds at one moment: its backends' weights (in the split's
 * order) and the canary status note ({@code meshwork.io/canary-status}, null when there is none).
 */
public record SplitSnapshot(Map<String, Long> weights, String status) {

    public SplitSnapshot {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    public long weight(String backend) {
        return weights.getOrDefault(backend, 0L);
    }

    /** {@code reviews-v1=150 (75%), reviews-v2=0 (0%), ...}: every backend with its weight and share. */
    public String describeWeights() {
        long total = weights.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder out = new StringBuilder();
        weights.forEach((backend, weight) -> {
            if (!out.isEmpty()) {
                out.append(", ");
            }
            out.append(backend).append('=').append(weight).append(" (")
                    .append(total == 0 ? "0" : String.format("%.0f", 100.0 * weight / total)).append("%)");
        });
        return out.toString();
    }
}
