package io.meshwork.controlplane.model;

import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The resilience policies of a snapshot, by namespace/name. For a Service port the policy of each kind that
 * names that port wins over one naming the whole Service; among equals, the first by namespace/name.
 */
public record Policies(SortedMap<ObjectRef, MeshTimeout> timeouts, SortedMap<ObjectRef, MeshRetry> retries,
                       SortedMap<ObjectRef, MeshCircuitBreaker> circuitBreakers,
                       SortedMap<ObjectRef, MeshFaultInjection> faults, SortedMap<ObjectRef, MeshRateLimit> rateLimits,
                       SortedMap<ObjectRef, MeshMirror> mirrors) {

    public static final Policies NONE = new Policies(new TreeMap<>(), new TreeMap<>(), new TreeMap<>());

    public Policies {
        timeouts = Collections.unmodifiableSortedMap(new TreeMap<>(timeouts));
        retries = Collections.unmodifiableSortedMap(new TreeMap<>(retries));
        circuitBreakers = Collections.unmodifiableSortedMap(new TreeMap<>(circuitBreakers));
        faults = Collections.unmodifiableSortedMap(new TreeMap<>(faults));
        rateLimits = Collections.unmodifiableSortedMap(new TreeMap<>(rateLimits));
        mirrors = Collections.unmodifiableSortedMap(new TreeMap<>(mirrors));
    }

    /** Timeouts, retries and circuit breakers only. */
    public Policies(SortedMap<ObjectRef, MeshTimeout> timeouts, SortedMap<ObjectRef, MeshRetry> retries,
                    SortedMap<ObjectRef, MeshCircuitBreaker> circuitBreakers) {
        this(timeouts, retries, circuitBreakers, new TreeMap<>(), new TreeMap<>(), new TreeMap<>());
    }

    public boolean isEmpty() {
        return timeouts.isEmpty() && retries.isEmpty() && circuitBreakers.isEmpty() && faults.isEmpty()
                && rateLimits.isEmpty() && mirrors.isEmpty();
    }

    /** The MeshFaultInjection that governs calls to {@code port} of {@code service}. */
    public Optional<MeshFaultInjection> faultFor(ObjectRef service, int port) {
        return governing(faults, service, port);
    }

    /** The MeshRateLimit that governs requests to {@code port} of {@code service} at its workloads' inbound. */
    public Optional<MeshRateLimit> rateLimitFor(ObjectRef service, int port) {
        return governing(rateLimits, service, port);
    }

    /** The MeshMirror that governs calls to {@code port} of {@code service}. */
    public Optional<MeshMirror> mirrorFor(ObjectRef service, int port) {
        return governing(mirrors, service, port);
    }

    /** The MeshTimeout that governs calls to {@code port} of {@code service}. */
    public Optional<MeshTimeout> timeoutFor(ObjectRef service, int port) {
        return governing(timeouts, service, port);
    }

    /** The MeshRetry that governs calls to {@code port} of {@code service}. */
    public Optional<MeshRetry> retryFor(ObjectRef service, int port) {
        return governing(retries, service, port);
    }

    /** The MeshCircuitBreaker that governs calls to {@code port} of {@code service}. */
    public Optional<MeshCircuitBreaker> circuitBreakerFor(ObjectRef service, int port) {
        return governing(circuitBreakers, service, port);
    }

    private static <P extends TargetedPolicy> Optional<P> governing(SortedMap<ObjectRef, P> policies, ObjectRef service,
                                                                    int port) {
        if (policies.isEmpty()) {
            return Optional.empty();
        }
        P wholeService = null;
        for (P policy : policies.values()) {
            if (policy.target().covers(service, port)) {
                if (policy.target().port() != null) {
                    return Optional.of(policy);
                }
                wholeService = wholeService == null ? policy : wholeService;
            }
        }
        return Optional.ofNullable(wholeService);
    }
}
