package io.meshwork.proxy.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;

/**
 * First handler of an HTTP/2 stream: a request whose header list is larger than the sidecar accepts
 * goes on as a request marked too long, so {@link HttpProxyHandler} answers 431 as it does on
 * HTTP/1.1, and the connection keeps serving its other streams.
 */
public final class Http2RequestHeaderLimit extends ChannelDuplexHandler {

    /** RFC 9113 section 6.5.2: each field counts its name and value octets plus 32. */
    private static final int FIELD_OVERHEAD = 32;

    private final long maxHeaderListBytes;
    private final boolean upgradeStream;
    private boolean headersSeen;
    private boolean rejected;
    private boolean requestEnded;

    /**
     * {@code upgradeStream}: this is stream 1 of an h2c upgrade, whose request the HTTP/1.1 codec
     * already measured against its own limit.
     */
    public Http2RequestHeaderLimit(long maxHeaderListBytes, boolean upgradeStream) {
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
        if (msg instanceof Http2HeadersFrame frame && !upgradeStream) {
            boolean trailers = headersSeen;
            headersSeen = true;
            long size = headerListSize(frame.headers());
            if (size > maxHeaderListBytes) {
                if (trailers) {
                    // The request is already on its way upstream: all that is left is to reset the stream.
                    ctx.close();
                    return;
                }
                rejected = true;
                requestEnded = frame.isEndStream();
                ctx.fireChannelRead(tooLong(frame.headers(), size));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (rejected && !requestEnded && endsStream(msg)) {
            // The client is still sending a request body we will not read: once the 431 is out, ask it
            // to stop without error (RFC 9113 section 8.1), which also frees the stream.
            ChannelPromise written = promise.unvoid();
            written.addListener((ChannelFutureListener) future -> {
                if (future.isSuccess()) {
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
                }
            });
            ctx.write(msg, written);
            return;
        }
        ctx.write(msg, promise);
    }

    private static boolean endsStream(Object msg) {
        return msg instanceof Http2HeadersFrame headers && headers.isEndStream()
                || msg instanceof Http2DataFrame data && data.isEndStream();
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
                        path.toString());
            } catch (IllegalArgumentException malformed) {
                // Not a valid request line either: the 431 is still the answer, for a nameless request.
            }
        }
        if (request == null) {
            request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        }
        request.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("HTTP/2 header list of "
                + size + " bytes is larger than " + maxHeaderListBytes)));
        return request;
    }
}
