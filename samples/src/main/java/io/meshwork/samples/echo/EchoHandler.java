package io.meshwork.samples.echo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Answers one HTTP/1.1 connection or one HTTP/2 stream (as HTTP objects): the instance's JSON
 * answer, the byte count of {@code /upload}, or gRPC {@code echo.Echo} calls, after the
 * configured latency and with the configured share of failures. Bodies are counted and
 * released as they arrive, never buffered (gRPC messages excepted).
 */
final class EchoHandler extends ChannelInboundHandlerAdapter {

    static final String LATENCY_HEADER = "x-echo-latency";
    static final String FAIL_HEADER = "x-echo-fail";
    static final String CALL_HEADER = "x-echo-call";
    static final String COUNT_HEADER = "x-echo-count";

    private static final int MAX_GRPC_BODY = 4 << 20;
    private static final int MAX_STREAM_COUNT = 10_000;
    /** Request headers not passed on to the upstream: hop-by-hop, this hop's echo controls, HTTP/2 conversion leftovers. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "keep-alive", "content-length",
            "transfer-encoding", "te", "upgrade", "http2-settings", "proxy-connection", "expect",
            LATENCY_HEADER, FAIL_HEADER, CALL_HEADER, COUNT_HEADER);

    private static final List<String> IDENTITY_FIELDS = List.of("service", "version", "pod");

    private final EchoConfig config;
    private final UpstreamClient upstream;
    private final boolean http2;

    private HttpRequest request;
    private long bodyBytes;
    private CompositeByteBuf grpcBody;

    EchoHandler(EchoConfig config, UpstreamClient upstream, boolean http2) {
        this.config = config;
        this.upstream = upstream;
        this.http2 = http2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            request = req;
            bodyBytes = 0;
            if (isGrpc(req)) {
                grpcBody = ctx.alloc().compositeBuffer();
            }
        }
        if (!(msg instanceof HttpContent content)) {
            if (!(msg instanceof HttpRequest)) {
                // HTTP/2 connection frames (settings, ping) reach the connection's HTTP/1 handler: not ours.
                ctx.fireChannelRead(msg);
            }
            return;
        }
        try {
            if (request == null) {
                return;
            }
            ByteBuf data = content.content();
            bodyBytes += data.readableBytes();
            if (grpcBody != null && data.isReadable()) {
                if (grpcBody.readableBytes() + data.readableBytes() > MAX_GRPC_BODY) {
                    grpcBody.release();
                    grpcBody = null;
                    request = null;
                    grpcStatus(ctx, EchoGrpc.INTERNAL, "request larger than " + MAX_GRPC_BODY + " bytes");
                    return;
                }
                grpcBody.addComponent(true, data.retain());
            }
            if (content instanceof LastHttpContent) {
                HttpRequest done = request;
                request = null;
                if (!http2) {
                    // One answer at a time per HTTP/1.1 connection, so pipelined answers keep their order.
                    ctx.channel().config().setAutoRead(false);
                }
                answer(ctx, done, bodyBytes);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private boolean isGrpc(HttpRequest req) {
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return http2 && type != null && type.startsWith("application/grpc");
    }

    private void answer(ChannelHandlerContext ctx, HttpRequest req, long bytes) {
        Duration latency;
        double failureRate;
        try {
            String latencyHeader = req.headers().get(LATENCY_HEADER);
            latency = latencyHeader == null ? config.latency() : headerDuration(latencyHeader);
            String failHeader = req.headers().get(FAIL_HEADER);
            failureRate = failHeader == null ? config.failureRate() : parseRate(failHeader);
        } catch (IllegalArgumentException e) {
            if (grpcBody != null) {
                releaseGrpcBody();
                grpcStatus(ctx, EchoGrpc.INVALID_ARGUMENT, e.getMessage());
            } else {
                respond(ctx, req, HttpResponseStatus.BAD_REQUEST, json(req, Map.of("error", e.getMessage())));
            }
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        boolean fail = !path.equals("/healthz") && failureRate > 0 && ThreadLocalRandom.current().nextDouble() < failureRate;
        Runnable reply = () -> {
            if (grpcBody != null) {
                answerGrpc(ctx, req, path, fail);
            } else if (fail) {
                respond(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                        json(req, Map.of("error", "injected failure")));
            } else if (path.equals("/upload")) {
                respond(ctx, req, HttpResponseStatus.OK, json(req, Map.of("bytes", bytes)));
            } else {
                answerHttp(ctx, req);
            }
        };
        if (latency.isZero() || path.equals("/healthz")) {
            reply.run();
        } else {
            ctx.executor().schedule(reply, latency.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private static Duration headerDuration(String text) {
        try {
            return EchoConfig.parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("header " + LATENCY_HEADER + ": " + e.getMessage());
        }
    }

    private static double parseRate(String text) {
        try {
            double rate = Double.parseDouble(text.trim());
            if (rate >= 0 && rate <= 1) {
                return rate;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the header's name
        }
        throw new IllegalArgumentException("header " + FAIL_HEADER + ": \"" + text + "\" is not a share in 0..1");
    }

    private void answerHttp(ChannelHandlerContext ctx, HttpRequest req) {
        String call = req.headers().get(CALL_HEADER, config.call());
        // The app's own health does not depend on the services it calls.
        boolean health = new QueryStringDecoder(req.uri()).path().equals("/healthz");
        if (health || call == null || call.isBlank() || upstream == null) {
            respond(ctx, req, HttpResponseStatus.OK, json(req, Map.of()));
            return;
        }
        HttpHeaders forwarded = new DefaultHttpHeaders();
        for (Map.Entry<String, String> header : req.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(name) && !name.startsWith("x-http2-")) {
                forwarded.add(header.getKey(), header.getValue());
            }
        }
        upstream.get(ctx.executor(), call, req.uri(), forwarded).addListener(f -> {
            if (f.isSuccess()) {
                UpstreamClient.Reply reply = (UpstreamClient.Reply) f.getNow();
                // The caller sees the upstream's failure as its own, so load generators count it.
                respond(ctx, req, HttpResponseStatus.valueOf(reply.status()),
                        json(req, Map.of("upstream", new RawJson(reply.status(), reply.body()))), reply.headers());
            } else {
                respond(ctx, req, HttpResponseStatus.BAD_GATEWAY,
                        json(req, Map.of("error", "upstream " + call + ": " + f.cause())));
            }
        });
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest req, HttpResponseStatus status, String body) {
        respond(ctx, req, status, body, null);
    }

    /** Who answered, also as headers, so a client can count versions without parsing the body. */
    private void identify(HttpHeaders headers) {
        headers.set("x-echo-service", config.service())
                .set("x-echo-version", config.version())
                .set("x-echo-pod", config.pod());
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest req, HttpResponseStatus status, String body,
            HttpHeaders upstreamHeaders) {
        if (!ctx.channel().isActive()) {
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        identify(response.headers());
        if (upstreamHeaders != null) {
            for (String field : IDENTITY_FIELDS) {
                String value = upstreamHeaders.get("x-echo-" + field);
                if (value != null) {
                    response.headers().set("x-echo-upstream-" + field, value);
                }
            }
        }
        if (http2) {
            ctx.writeAndFlush(response);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(keepAlive
                ? (ChannelFutureListener) f -> f.channel().config().setAutoRead(true)
                : ChannelFutureListener.CLOSE);
    }

    private void answerGrpc(ChannelHandlerContext ctx, HttpRequest req, String path, boolean fail) {
        List<String> messages;
        try {
            messages = EchoGrpc.unframe(grpcBody);
        } catch (IllegalArgumentException e) {
            grpcStatus(ctx, EchoGrpc.INTERNAL, e.getMessage());
            return;
        } finally {
            releaseGrpcBody();
        }
        boolean say = path.equals("/" + EchoGrpc.SAY.getFullMethodName());
        boolean stream = path.equals("/" + EchoGrpc.STREAM.getFullMethodName());
        if (!say && !stream) {
            grpcStatus(ctx, EchoGrpc.UNIMPLEMENTED, "method " + path + " is not served by " + EchoGrpc.SERVICE_NAME);
            return;
        }
        if (fail) {
            grpcStatus(ctx, EchoGrpc.UNAVAILABLE, "injected failure by " + config.pod());
            return;
        }
        if (messages.size() != 1) {
            grpcStatus(ctx, EchoGrpc.INTERNAL, path + " takes exactly one request message, got " + messages.size());
            return;
        }
        int count = 1;
        if (stream) {
            try {
                count = Math.min(MAX_STREAM_COUNT, Integer.parseInt(req.headers().get(COUNT_HEADER, "3").trim()));
            } catch (NumberFormatException e) {
                grpcStatus(ctx, EchoGrpc.INVALID_ARGUMENT, "header " + COUNT_HEADER + " is not an integer");
                return;
            }
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
        identify(head.headers());
        ctx.write(head);
        for (int i = 0; i < count; i++) {
            Map<String, Object> extra = stream
                    ? Map.of("message", messages.get(0), "seq", i)
                    : Map.of("message", messages.get(0));
            ctx.write(new DefaultHttpContent(EchoGrpc.frame(ctx.alloc(), json(req, extra, "gRPC"))));
        }
        LastHttpContent trailers = new DefaultLastHttpContent();
        trailers.trailingHeaders().setInt("grpc-status", EchoGrpc.OK);
        ctx.writeAndFlush(trailers);
    }

    /** A trailers-only gRPC answer: the status and message in the one HEADERS frame. */
    private void grpcStatus(ChannelHandlerContext ctx, int code, String message) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                .setInt("grpc-status", code)
                .set("grpc-message", percentEncode(message));
        ctx.writeAndFlush(response);
    }

    private void releaseGrpcBody() {
        if (grpcBody != null) {
            grpcBody.release();
            grpcBody = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseGrpcBody();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        releaseGrpcBody();
        ctx.close();
    }

    private String json(HttpRequest req, Map<String, Object> extra) {
        return json(req, extra, http2 ? "HTTP/2" : req.protocolVersion().text());
    }

    /** The instance's answer: who it is, what was asked, plus {@code extra} fields in a fixed order. */
    private String json(HttpRequest req, Map<String, Object> extra, String protocol) {
        StringBuilder out = new StringBuilder(160).append('{');
        field(out, "service", config.service());
        field(out, "version", config.version());
        field(out, "pod", config.pod());
        field(out, "protocol", protocol);
        field(out, "method", req.method().name());
        field(out, "path", req.uri());
        field(out, "host", req.headers().get(HttpHeaderNames.HOST, ""));
        for (String key : List.of("message", "seq", "bytes", "error", "upstream")) {
            if (extra.containsKey(key)) {
                field(out, key, extra.get(key));
            }
        }
        out.setLength(out.length() - 1);
        return out.append('}').toString();
    }

    private static void field(StringBuilder out, String name, Object value) {
        quote(out, name).append(':');
        if (value instanceof Number) {
            out.append(value);
        } else if (value instanceof RawJson raw) {
            raw.appendTo(out);
        } else {
            quote(out, String.valueOf(value));
        }
        out.append(',');
    }

    static StringBuilder quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    /** grpc-message is percent-encoded (gRPC over HTTP/2 spec): keep printable ASCII, encode the rest. */
    private static String percentEncode(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            if (b >= 0x20 && b < 0x7f && b != '%') {
                out.append((char) b);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    /** An upstream's answer embedded as-is when it is a JSON object, else as a string. */
    private record RawJson(int status, String body) {
        void appendTo(StringBuilder out) {
            String trimmed = body.strip();
            out.append("{\"status\":").append(status).append(",\"body\":");
            if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
                out.append(trimmed);
            } else {
                quote(out, body);
            }
            out.append('}');
        }
    }
}
