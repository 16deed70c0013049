package io.meshwork.proxy.route.retry;

import java.util.Optional;

/** Envoy's {@code retry_on} conditions the sidecar implements, by their wire names. */
public enum RetryCondition {
    /** Any 5xx, and every failure without a response (reset, connect failure, per-try timeout). */
    SERVER_ERROR("5xx"),
    /** 502, 503, 504, and every failure without a response. */
    GATEWAY_ERROR("gateway-error"),
    /** No response: the connection or stream closed, or the per-try timeout passed. */
    RESET("reset"),
    /** The upstream connection could not be established. */
    CONNECT_FAILURE("connect-failure"),
    /** The HTTP/2 stream was refused before any response (here: a reset before any response, as {@link #RESET}). */
    REFUSED_STREAM("refused-stream"),
    /** 409. */
    RETRIABLE_4XX("retriable-4xx"),
    /** The statuses in {@code retriable_status_codes}. */
    RETRIABLE_STATUS_CODES("retriable-status-codes"),
    /** gRPC status CANCELLED (1) in the response headers (a trailers-only response). */
    CANCELLED("cancelled"),
    /** gRPC DEADLINE_EXCEEDED (4). */
    DEADLINE_EXCEEDED("deadline-exceeded"),
    /** gRPC RESOURCE_EXHAUSTED (8). */
    RESOURCE_EXHAUSTED("resource-exhausted"),
    /** gRPC INTERNAL (13). */
    INTERNAL("internal"),
    /** gRPC UNAVAILABLE (14). */
    UNAVAILABLE("unavailable");

    private final String wireName;

    RetryCondition(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<RetryCondition> byWireName(String name) {
        for (RetryCondition condition : values()) {
            if (condition.wireName.equals(name)) {
                return Optional.of(condition);
            }
        }
        return Optional.empty();
    }
}
