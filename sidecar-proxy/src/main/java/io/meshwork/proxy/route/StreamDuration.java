package io.meshwork.proxy.route;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A route's {@code max_stream_duration}: how long one stream may last, and whether a gRPC call's {@code grpc-timeout}
 * header sets it, as Envoy's connection manager reads them. A stream past it is answered DEADLINE_EXCEEDED (a gRPC
 * call) or 408, as Envoy's "downstream duration timeout".
 *
 * @param max {@code max_stream_duration}; zero: none
 * @param grpcTimeoutHeaderMax {@code grpc_timeout_header_max}: null, the header is not read; zero, it is taken as it
 *     is; else it is taken up to this
 */
public record StreamDuration(Duration max, Duration grpcTimeoutHeaderMax) {

    /** gRPC's {@code TimeoutValue TimeoutUnit}: at most 8 digits and one of H, M, S, m, u, n. */
    private static final Pattern GRPC_TIMEOUT = Pattern.compile("(\\d{1,8})([HMSmun])");

    /** One stream's bound: milliseconds (0: none) and what set it, in words for the answer. */
    public record Deadline(long millis, String reason) {
        public static final Deadline NONE = new Deadline(0, "");
    }

    /** The bound of the stream whose request has {@code headers}. */
    public Deadline deadline(HttpHeaders headers) {
        if (grpcTimeoutHeaderMax != null) {
            long asked = grpcTimeoutMillis(headers.get("grpc-timeout"));
            if (asked > 0) {
                long cap = grpcTimeoutHeaderMax.toMillis();
                return cap > 0 && cap < asked ? new Deadline(cap, "route maximum " + cap + " ms")
                        : new Deadline(asked, "grpc-timeout " + asked + " ms");
            }
        }
        return max.isZero() ? Deadline.NONE : new Deadline(max.toMillis(), "max_stream_duration " + max.toMillis() + " ms");
    }

    /**
     * The stream's bound that ends it first, with a route {@code timeout} of {@code routeMillis} (0: none): this route's
     * deadline when it is shorter (for a gRPC call also when equal: the call gets DEADLINE_EXCEEDED), else none (the
     * route timeout's 504 comes first).
     */
    public Deadline before(long routeMillis, HttpHeaders request) {
        Deadline d = deadline(request);
        if (d.millis() <= 0 || routeMillis > 0 && (d.millis() > routeMillis
                || d.millis() == routeMillis && !request.get("content-type", "").startsWith("application/grpc"))) {
            return Deadline.NONE;
        }
        return d;
    }

    /** A {@code grpc-timeout} value in milliseconds, rounded up; 0 when absent or not one gRPC would send. */
    static long grpcTimeoutMillis(String header) {
        Matcher m = header == null ? null : GRPC_TIMEOUT.matcher(header.strip());
        if (m == null || !m.matches()) {
            return 0;
        }
        long value = Long.parseLong(m.group(1));
        long nanos = switch (m.group(2)) {
            case "H" -> value * 3_600_000_000_000L;
            case "M" -> value * 60_000_000_000L;
            case "S" -> value * 1_000_000_000L;
            case "m" -> value * 1_000_000L;
            case "u" -> value * 1_000L;
            default -> value;
        };
        return (nanos + 999_999) / 1_000_000;
    }

    /**
     * The sidecar's answer to a stream past its bound before any response: for a gRPC call a trailers-only 200 with
     * grpc-status 4 (DEADLINE_EXCEEDED), else 408, each saying {@code reason}.
     */
    public static FullHttpResponse exceeded(HttpHeaders request, Deadline deadline) {
        String contentType = request.get("content-type", "");
        String text = "deadline exceeded: " + deadline.reason() + " (sidecar)";
        if (contentType.startsWith("application/grpc")) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.EMPTY_BUFFER);
            response.headers().set("content-type", "application/grpc").set("grpc-status", "4")
                    .set("grpc-message", text).set("x-meshwork-error", "true");
            return response;
        }
        byte[] body = ("downstream duration timeout: " + text + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT,
                Unpooled.wrappedBuffer(body));
        response.headers().set("content-type", "text/plain; charset=utf-8").setInt("content-length", body.length)
                .set("x-meshwork-error", "true");
        return response;
    }
}
