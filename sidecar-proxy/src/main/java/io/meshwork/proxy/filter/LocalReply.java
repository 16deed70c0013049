package io.meshwork.proxy.filter;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * A filter's answer to a request that goes no further: the status, a one-line text body (null: none) and headers of
 * its own (a 429's {@code retry-after}, a gRPC answer's {@code grpc-status}).
 */
public record LocalReply(HttpResponseStatus status, String body, Map<String, String> headers) {

    public LocalReply {
        headers = Map.copyOf(headers);
    }

    public LocalReply(HttpResponseStatus status, String body) {
        this(status, body, Map.of());
    }

    /**
     * A gRPC call's answer as Envoy gives it: HTTP 200 with nothing but {@code grpc-status} and {@code grpc-message}
     * in its headers (trailers-only), no body.
     */
    public static LocalReply grpc(int grpcStatus, String message, Map<String, String> headers) {
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>(headers);
        all.put("content-type", "application/grpc");
        all.put("grpc-status", Integer.toString(grpcStatus));
        all.put("grpc-message", message);
        return new LocalReply(HttpResponseStatus.OK, null, all);
    }

    /** Whether {@code request} is a gRPC call ({@code content-type: application/grpc...}). */
    public static boolean isGrpc(io.netty.handler.codec.http.HttpRequest request) {
        String type = request.headers().get(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    /**
     * The gRPC status gRPC maps an HTTP status to (gRPC's "HTTP to gRPC Status Code Mapping"), for a gRPC call that
     * a filter answers with an HTTP status.
     */
    public static int grpcStatusOf(int httpStatus) {
        return switch (httpStatus) {
            case 400 -> 13; // INTERNAL
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7;  // PERMISSION_DENIED
            case 404 -> 12; // UNIMPLEMENTED
            case 429, 502, 503, 504 -> 14; // UNAVAILABLE
            default -> 2;   // UNKNOWN
        };
    }
}
