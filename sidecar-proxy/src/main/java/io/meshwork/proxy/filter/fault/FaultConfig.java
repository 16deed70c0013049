package io.meshwork.proxy.filter.fault;

import io.meshwork.proxy.route.RouteMatch;
import java.time.Duration;
import java.util.List;

/**
 * One {@code envoy.extensions.filters.http.fault.v3.HTTPFault}: the filter's own, or a route's in its
 * {@code typed_per_filter_config} (which then replaces the filter's, as in Envoy).
 *
 * @param abortHttpStatus null: none, or {@code abortGrpcStatus} is the abort
 * @param abortGrpcStatus null: none, or {@code abortHttpStatus} is the abort
 * @param abortPerMillion the share of requests aborted
 * @param delay null: no delay
 * @param delayPerMillion the share of requests delayed
 * @param headers the request headers a request must have to get faults (all of them)
 */
public record FaultConfig(Integer abortHttpStatus, Integer abortGrpcStatus, int abortPerMillion, Duration delay,
                          int delayPerMillion, List<RouteMatch.HeaderMatch> headers) {

    public static final FaultConfig NONE = new FaultConfig(null, null, 0, null, 0, List.of());

    public FaultConfig {
        headers = List.copyOf(headers);
    }

    boolean aborts() {
        return (abortHttpStatus != null || abortGrpcStatus != null) && abortPerMillion > 0;
    }

    boolean delays() {
        return delay != null && delayPerMillion > 0;
    }
}
