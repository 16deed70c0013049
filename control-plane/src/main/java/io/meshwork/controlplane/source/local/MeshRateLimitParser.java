package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshRateLimit;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;

/**
 * Reads a {@code meshwork.io/v1alpha1 MeshRateLimit}: {@code spec.targetRef}, {@code requestsPerSecond} (at least 1)
 * and {@code burst} (the bucket's size: at least 50 ms of requests, since Envoy refills at most every 50 ms; 100 ms of
 * requests when left out).
 */
final class MeshRateLimitParser implements KindParser<MeshRateLimit> {

    /** Envoy's token bucket holds a uint32; a second's requests must fit. */
    static final int MAX_RATE = 1_000_000_000;

    @Override
    public MeshRateLimit parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        PolicyTarget target = PolicyTargetParser.read(ref, spec);
        int rate = spec.requiredInt("requestsPerSecond");
        if (rate < 1 || rate > MAX_RATE) {
            throw spec.error("requestsPerSecond", rate + " is not in 1.." + MAX_RATE);
        }
        int burst = spec.optionalInt("burst").orElse(MeshRateLimit.defaultBurst(rate));
        int least = MeshRateLimit.minBurst(rate);
        if (burst < least) {
            throw spec.error("burst", burst + " is less than " + least + " (50 ms of requestsPerSecond: Envoy refills "
                    + "a bucket at most every 50 ms)");
        }
        return new MeshRateLimit(ref, target, rate, burst);
    }
}
