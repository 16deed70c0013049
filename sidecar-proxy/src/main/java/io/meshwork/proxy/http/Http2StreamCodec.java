package io.meshwork.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;
import java.util.Map;

/**
 * The one handler before {@link HttpProxyHandler} on each downstream HTTP/2 stream: HTTP/2 frames to
 * HTTP/1.1 messages and back, as Netty's {@code Http2StreamFrameToHttpObjectCodec} converts them (the same
 * {@link HttpConversionUtil} translation of names, pseudo-headers, cookies and errors), but with the request's
 * headers and trailers in {@link ArrayHttpHeaders} rather than Netty's hash tables, a bodyless request without
 * a pooled buffer of its own, and without the codec's output lists; and the request header limit: a request
 * whose header list is larger than the sidecar accepts goes on as a request marked too long, so
 * {@link HttpProxyHandler} answers 431 as it does on HTTP/1.1, and the connection keeps serving its other
 * streams. One handler where there were two (the limit and Netty's codec): a context fewer for every message
 * of the stream each way.
 */
public final class Http2StreamCodec extends ChannelDuplexHandler {

    /** RFC 9113 section 6.5.2: each field counts its name and value octets plus 32. */
    private static final int FIELD_OVERHEAD = 32;
    private static final AsciiString CONTINUE = AsciiString.cached("100");

    private final long maxHeaderListBytes;
    private final boolean upgradeStream;
    private boolean headersSeen;
    private boolean rejected;
    private boolean requestEnded;

    /**
     * {@code upgradeStream}: this is stream 1 of an h2c upgrade, whose request the HTTP/1.1 codec
     * already measured against its own limit (and which arrives as that codec's message, not as frames).
     */
    public Http2StreamCodec(long maxHeaderListBytes, boolean upgradeStream) {
        this.maxHeaderListBytes = maxHeaderListBytes;
        this.upgradeStream = upgradeStream;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (rejected) {
            // The rest of a request already answered 431: nobody wants its body.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Http2HeadersFrame frame) {
            headers(ctx, frame);
        } else if (msg instanceof Http2DataFrame data) {
            // The frame's buffer becomes the content's (the frame is not released: it is that buffer).
            ctx.fireChannelRead(data.isEndStream()
                    ? new DefaultLastHttpContent(data.content(), ArrayHttpHeaders.TRAILERS_FACTORY)
                    : new DefaultHttpContent(data.content()));
        } else {
            ctx.fireChannelRead(msg); // the h2c upgrade's request, resets, events: HttpProxyHandler's or nobody's
        }
    }

    private void headers(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        Http2Headers headers = frame.headers();
        if (!upgradeStream) {
            boolean trailers = headersSeen;
            headersSeen = true;
            long size = headerListSize(headers);
            if (size > maxHeaderListBytes) {
                if (trailers) {
                    // The request is already on its way upstream: all that is left is to reset the stream.
                    ctx.close();
                    return;
                }
                rejected = true;
                requestEnded = frame.isEndStream();
                ctx.fireChannelRead(tooLong(headers, size));
                return;
            }
        }
        Http2FrameStream stream = frame.stream();
        int id = stream == null ? 0 : stream.id();
        HttpObject message;
        try {
            message = decode(id, headers, frame.isEndStream());
        } catch (Exception e) {
            // As Netty's codec fails it: HttpProxyHandler answers a stream error with 400 on the stream.
            ctx.fireExceptionCaught(e instanceof DecoderException decoder ? decoder : new DecoderException(e));
            return;
        }
        ctx.fireChannelRead(message);
    }

    /** As {@code Http2StreamFrameToHttpObjectCodec} decodes a server's HEADERS frame. */
    private static HttpObject decode(int id, Http2Headers headers, boolean endStream) throws Http2Exception {
        CharSequence status = headers.status();
        if (status != null && CONTINUE.contentEquals(status)) {
            return request(id, headers, true);
        }
        if (endStream) {
            if (headers.method() == null && status == null) {
                LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER,
                        ArrayHttpHeaders.TRAILERS_FACTORY);
                HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, last.trailingHeaders(), HttpVersion.HTTP_1_1,
                        true, true);
                return last;
            }
            return request(id, headers, true);
        }
        HttpRequest request = (HttpRequest) request(id, headers, false);
        if (!HttpUtil.isContentLengthSet(request)) {
            request.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return request;
    }

    /**
     * As {@link HttpConversionUtil#toHttpRequest} and {@code toFullHttpRequest} make it (the same checks,
     * the same exceptions), into {@link ArrayHttpHeaders}; a whole one with an empty body of no buffer.
     */
    private static HttpObject request(int id, Http2Headers headers, boolean whole) throws Http2Exception {
        CharSequence method = headers.method();
        if (method == null) {
            throw new NullPointerException("method header cannot be null in conversion to HTTP/1.x");
        }
        String path = path(method, headers);
        HttpMethod httpMethod = HttpMethod.valueOf(method.toString());
        HttpHeaders fields = new ArrayHttpHeaders();
        HttpRequest request = whole
                ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, httpMethod, path, Unpooled.EMPTY_BUFFER, fields,
                        ArrayHttpHeaders.TRAILERS_FACTORY.newHeaders())
                : new DefaultHttpRequest(HttpVersion.HTTP_1_1, httpMethod, path, fields);
        try {
            HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, fields, HttpVersion.HTTP_1_1, false, true);
        } catch (Http2Exception e) {
            throw e;
        } catch (Throwable t) {
            throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR, t,
                    "HTTP/2 to HTTP/1.x headers conversion error");
        }
        return request;
    }

    private static String path(CharSequence method, Http2Headers headers) {
        CharSequence target = HttpMethod.CONNECT.asciiName().contentEqualsIgnoreCase(method) ? headers.authority()
                : headers.path();
        if (target == null) {
            throw new NullPointerException(HttpMethod.CONNECT.asciiName().contentEqualsIgnoreCase(method)
                    ? "authority header cannot be null in the conversion to HTTP/1.x"
                    : "path header cannot be null in conversion to HTTP/1.x");
        }
        return target.toString();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpObject object)) {
            ctx.write(msg, promise);
            return;
        }
        // As Netty's codec encodes a server's messages: headers, then data and trailers of a last part.
        Object headers = null;
        Object data = null;
        Object trailers = null;
        try {
            if (object instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && response.status().code() != 101) {
                if (!(response instanceof FullHttpResponse)) {
                    throw new EncoderException(response.status() + " must be a FullHttpResponse");
                }
                headers = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(response, true), false);
            } else {
                if (object instanceof HttpMessage message) {
                    boolean noMoreFrames = message instanceof FullHttpMessage full && !full.content().isReadable()
                            && full.trailingHeaders().isEmpty();
                    headers = new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(message, true),
                            noMoreFrames);
                }
                if (object instanceof LastHttpContent last) {
                    boolean hasTrailers = !last.trailingHeaders().isEmpty();
                    if (last.content().isReadable() || (!(last instanceof FullHttpMessage) && !hasTrailers)) {
                        data = new DefaultHttp2DataFrame(last.content().retain(), !hasTrailers);
                    }
                    if (hasTrailers) {
                        trailers = new DefaultHttp2HeadersFrame(
                                HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), true), true);
                    }
                } else if (object instanceof HttpContent content) {
                    data = new DefaultHttp2DataFrame(content.content().retain(), false);
                }
            }
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(data);
            ReferenceCountUtil.release(msg);
            promise.tryFailure(e instanceof EncoderException ? e : new EncoderException(e));
            return;
        }
        ReferenceCountUtil.release(msg); // the frames hold what they need of it (retained)
        writeFrames(ctx, headers, data, trailers, promise);
    }

    /** Writes the non-null frames in order, the promise completed when all are written. */
    private void writeFrames(ChannelHandlerContext ctx, Object headers, Object data, Object trailers,
                             ChannelPromise promise) {
        Object last = trailers != null ? trailers : data != null ? data : headers;
        if (last == null) {
            promise.trySuccess();
            return;
        }
        if (rejected && !requestEnded && endsStream(last)) {
            // The client is still sending a request body we will not read: once the 431 is out, ask it
            // to stop without error (RFC 9113 section 8.1), which also frees the stream.
            ChannelPromise written = promise.unvoid();
            written.addListener((ChannelFutureListener) future -> {
                if (future.isSuccess()) {
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
                }
            });
            promise = written;
        }
        int count = (headers != null ? 1 : 0) + (data != null ? 1 : 0) + (trailers != null ? 1 : 0);
        if (count == 1) {
            ctx.write(last, promise);
            return;
        }
        if (promise.isVoid()) {
            writeIfAny(ctx, headers, promise);
            writeIfAny(ctx, data, promise);
            writeIfAny(ctx, trailers, promise);
            return;
        }
        PromiseCombiner combiner = new PromiseCombiner(ctx.executor());
        for (Object frame : new Object[] {headers, data, trailers}) {
            if (frame != null) {
                combiner.add(ctx.write(frame));
            }
        }
        combiner.finish(promise);
    }

    private static void writeIfAny(ChannelHandlerContext ctx, Object frame, ChannelPromise voidPromise) {
        if (frame != null) {
            ctx.write(frame, voidPromise);
        }
    }

    private static boolean endsStream(Object frame) {
        return frame instanceof Http2HeadersFrame headers && headers.isEndStream()
                || frame instanceof Http2DataFrame data && data.isEndStream();
    }

    /** The header list size as HTTP/2 defines it (and Netty's HPACK decoder measures it). */
    static long headerListSize(Http2Headers headers) {
        long size = 0;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            size += field.getKey().length() + field.getValue().length() + FIELD_OVERHEAD;
        }
        return size;
    }

    /** The request line only (the headers are what is wrong), failed as the HTTP/1.1 codec fails it. */
    private HttpRequest tooLong(Http2Headers headers, long size) {
        HttpRequest request = null;
        CharSequence method = headers.method();
        CharSequence path = headers.path();
        if (method != null && path != null) {
            try {
                request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method.toString()),
                        path.toString(), new ArrayHttpHeaders());
            } catch (IllegalArgumentException malformed) {
                // Not a valid request line either: the 431 is still the answer, for a nameless request.
            }
        }
        if (request == null) {
            request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", new ArrayHttpHeaders());
        }
        request.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("HTTP/2 header list of "
                + size + " bytes is larger than " + maxHeaderListBytes)));
        return request;
    }
}
