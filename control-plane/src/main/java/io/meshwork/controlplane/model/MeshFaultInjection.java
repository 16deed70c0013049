package io.meshwork.controlplane.model;

import java.time.Duration;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A {@code meshwork.io/v1alpha1 MeshFaultInjection}: faults the client side injects into calls to a Service, as
 * Envoy's {@code envoy.filters.http.fault} and Istio's VirtualService {@code fault}: a share of the requests is delayed
 * before it goes on, a share answered with an error at once (after the delay, when both apply), each drawn on its own.
 *
 * @param headers only requests with these headers (exact values) get faults; empty: every request
 * @param abort null: no abort
 * @param delay null: no delay
 */
public record MeshFaultInjection(ObjectRef ref, PolicyTarget target, SortedMap<String, String> headers, Abort abort,
                                 Delay delay) implements TargetedPolicy {

    public MeshFaultInjection {
        headers = Collections.unmodifiableSortedMap(new TreeMap<>(headers));
    }

    /**
     * Answer without calling the Service with {@code httpStatus} or {@code grpcStatus} (one is set): a gRPC call gets a
     * trailers-only HTTP 200 with {@code grpc-status} ({@code grpcStatus}, or the one gRPC maps {@code httpStatus} to).
     *
     * @param percentage of the requests, 0-100 (fractions to a ten-thousandth)
     */
    public record Abort(Integer httpStatus, Integer grpcStatus, double percentage) {
    }

    /** Wait {@code fixedDelay} before the request goes on, for {@code percentage} (0-100) of the requests. */
    public record Delay(Duration fixedDelay, double percentage) {
    }
}
