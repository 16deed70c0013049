package io.meshwork.proxy.route.retry;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * A route's {@code retry_policy}: on which failures a request is tried again, how often, how long each try may
 * take ({@link Duration#ZERO}: only the route's timeout), the backoff between tries, and whether a retry avoids the
 * endpoints already tried (Envoy's {@code previous_hosts} predicate; up to {@code hostSelectionAttempts} picks).
 */
public record RetryPolicy(int numRetries, Set<RetryCondition> retryOn, Set<Integer> retriableStatusCodes,
                          Duration perTryTimeout, Duration baseInterval, Duration maxInterval, boolean otherHosts,
                          int hostSelectionAttempts) {

    public RetryPolicy {
        retryOn = retryOn.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(retryOn));
        retriableStatusCodes = Set.copyOf(retriableStatusCodes);
    }

    /** How a try failed. */
    public enum Failure {
        /** The connection or stream closed before any response. */
        RESET,
        /** No connection could be made. */
        CONNECT_FAILURE,
        /** The per-try timeout passed before the response. */
        PER_TRY_TIMEOUT
    }

    /** Whether a try that failed this way, without a response, is retried. */
    public boolean retries(Failure failure) {
        if (retryOn.contains(RetryCondition.SERVER_ERROR) || retryOn.contains(RetryCondition.GATEWAY_ERROR)
                || retryOn.contains(RetryCondition.RESET)) {
            return true;
        }
        return switch (failure) {
            case CONNECT_FAILURE -> retryOn.contains(RetryCondition.CONNECT_FAILURE);
            case RESET -> retryOn.contains(RetryCondition.REFUSED_STREAM);
            case PER_TRY_TIMEOUT -> false;
        };
    }

    /** Whether a response with this status and headers (a trailers-only gRPC response carries grpc-status) is retried. */
    public boolean retries(int status, HttpHeaders headers) {
        if (status >= 500 && retryOn.contains(RetryCondition.SERVER_ERROR)) {
            return true;
        }
        if ((status == 502 || status == 503 || status == 504) && retryOn.contains(RetryCondition.GATEWAY_ERROR)) {
            return true;
        }
        if (status == 409 && retryOn.contains(RetryCondition.RETRIABLE_4XX)) {
            return true;
        }
        if (retryOn.contains(RetryCondition.RETRIABLE_STATUS_CODES) && retriableStatusCodes.contains(status)) {
            return true;
        }
        String grpcStatus = headers.get("grpc-status");
        if (grpcStatus == null) {
            return false;
        }
        return switch (grpcStatus) {
            case "1" -> retryOn.contains(RetryCondition.CANCELLED);
            case "4" -> retryOn.contains(RetryCondition.DEADLINE_EXCEEDED);
            case "8" -> retryOn.contains(RetryCondition.RESOURCE_EXHAUSTED);
            case "13" -> retryOn.contains(RetryCondition.INTERNAL);
            case "14" -> retryOn.contains(RetryCondition.UNAVAILABLE);
            default -> false;
        };
    }
}
