package io.meshwork.proxy.listener;

import io.meshwork.proxy.http.Http1Codecs;
import io.meshwork.proxy.http.Http2StreamDispatcher;
import io.meshwork.proxy.http.HttpProxyHandler;
import io.meshwork.proxy.http.ProxyServices;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * First handler of an HTTP filter chain: looks at the first bytes and installs the HTTP/2
 * (prior-knowledge preface) or HTTP/1.1 pipeline (which also accepts an h2c upgrade), then removes
 * itself and hands the bytes on.
 */
public final class ProtocolDetector extends ByteToMessageDecoder {

    /**
     * Envoy's default limit is 60 KiB; larger request headers get 431
     * (on HTTP/2 from {@link Http2StreamDispatcher}).
     */
    static final int MAX_HEADER_BYTES = 60 * 1024;
    /**
     * The HTTP/2 header list size advertised to clients and enforced by Netty (a stream error with a
     * bare 431 above it, GOAWAY above 1.25 times it). Larger than {@link #MAX_HEADER_BYTES} so that
     * clients, which respect the advertised size, send an oversized list and get the sidecar's own 431.
     */
    static final int HTTP2_HARD_HEADER_LIST_BYTES = 4 * MAX_HEADER_BYTES;
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();
    /** The HTTP/1.1 request line limit (longer: 414). */
    private static final int MAX_REQUEST_LINE_BYTES = 8192;
    private static final ByteBuf HEADER_BLOCK_END =
            Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[] {'\r', '\n', '\r', '\n'}));
    private static final byte[] UPGRADE_LINE = "upgrade:".getBytes(StandardCharsets.US_ASCII);

    /** Longest HTTP method token looked at (methods are short; WebDAV's are the longest). */
    private static final int MAX_METHOD_LENGTH = 20;
    /** The pipeline name of the h2c upgrade handler of an HTTP/1.1 connection. */
    public static final String UPGRADE_HANDLER = "h1-upgrade";

    private final ProxyServices services;
    private final HttpChainBinding filter;
    private final InetSocketAddress originalDestination;

    /**
     * {@code originalDestination} is where captured traffic was headed, or null when the client
     * addressed the sidecar itself (then non-HTTP bytes get the HTTP codec's 400).
     */
    public ProtocolDetector(ProxyServices services, HttpChainBinding filter,
                            InetSocketAddress originalDestination) {
        this.services = services;
        this.filter = filter;
        this.originalDestination = originalDestination;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int prefaceLength = PREFACE.readableBytes();
        int available = Math.min(in.readableBytes(), prefaceLength);
        boolean prefixOfPreface = ByteBufUtil.equals(in, in.readerIndex(), PREFACE, 0, available);
        if (prefixOfPreface && available < prefaceLength) {
            return;
        }
        ChannelPipeline pipeline = ctx.pipeline();
        if (!prefixOfPreface && originalDestination != null) {
            Boolean http = looksLikeHttp1(in);
            if (http == null) {
                return;
            }
            if (!http) {
                // Captured traffic that is not HTTP and matched no tcp_proxy chain: pass it through.
                pipeline.addAfter(ctx.name(), "passthrough", TcpProxyHandler.passthrough(services, originalDestination));
                if (pipeline.get(HttpConnectionTimeouts.class) != null) {
                    pipeline.remove(HttpConnectionTimeouts.class); // HTTP's timeouts are not for other protocols
                }
                pipeline.remove(this);
                return;
            }
        }
        if (prefixOfPreface) {
            installHttp2(pipeline, ctx.name());
            // HTTP/2 reads continuously on the connection; backpressure is per stream (flow control).
            ctx.channel().config().setAutoRead(true);
        } else {
            Boolean upgrade = offersUpgrade(in);
            if (upgrade == null) {
                return; // the first request's header block is not all here yet
            }
            installHttp1(pipeline, ctx.name(), upgrade);
            // A client that half-closes after its request (FIN after the head, as nc -N) is answered
            // before the connection closes, as HAProxy and nginx do (HttpProxyHandler sees the input end).
            // Only HTTP/1.1: tcp_proxy and HTTP/2 still close on the client's FIN.
            ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        }
        pipeline.remove(this);
    }

    /**
     * Whether the first request has an {@code Upgrade} header (an h2c offer, or another protocol the
     * upgrade handler declines), so that connections that offer none skip Netty's upgrade handler, an
     * aggregator on the path of their first request. Null while the header block is incomplete; false
     * for one that grew past the limit without ending, which the HTTP/1.1 codec then answers (431).
     */
    private static Boolean offersUpgrade(ByteBuf in) {
        int start = in.readerIndex();
        int end = ByteBufUtil.indexOf(HEADER_BLOCK_END, in);
        if (hasBareLineFeed(in, start, end < 0 ? in.writerIndex() : end)) {
            return false; // a head that will never end with CRLF CRLF: the codec refuses it (400) at once
        }
        if (end < 0) {
            return in.readableBytes() > MAX_HEADER_BYTES + MAX_REQUEST_LINE_BYTES ? false : null;
        }
        for (int i = start; i + UPGRADE_LINE.length < end; i++) {
            if (in.getByte(i) == '\n' && startsWithIgnoreCase(in, i + 1, UPGRADE_LINE)) {
                return true;
            }
        }
        return false;
    }

    /** A LF not preceded by CR in [from, to): RFC 9112 lines end with CRLF, and the codec is strict about it. */
    private static boolean hasBareLineFeed(ByteBuf in, int from, int to) {
        for (int i = ByteBufUtil.indexOf(in, from, to, (byte) '\n'); i >= 0;
                i = ByteBufUtil.indexOf(in, i + 1, to, (byte) '\n')) {
            if (i == from || in.getByte(i - 1) != '\r') {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWithIgnoreCase(ByteBuf in, int index, byte[] lowerCase) {
        for (int i = 0; i < lowerCase.length; i++) {
            byte b = in.getByte(index + i);
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    /** True for an HTTP/1 request line start ({@code TOKEN SP}), false if not, null if it cannot tell yet. */
    private static Boolean looksLikeHttp1(ByteBuf in) {
        int limit = Math.min(in.readableBytes(), MAX_METHOD_LENGTH + 1);
        for (int i = 0; i < limit; i++) {
            byte b = in.getByte(in.readerIndex() + i);
            if (b == ' ') {
                return i > 0;
            }
            if (b < 'A' || b > 'Z') {
                return false;
            }
        }
        return limit > MAX_METHOD_LENGTH ? false : null;
    }

    private void installHttp2(ChannelPipeline pipeline, String after) {
        pipeline.addAfter(after, "h2-codec", http2Codec());
        pipeline.addAfter("h2-codec", "h2-streams", streams(false));
    }

    private void installHttp1(ChannelPipeline pipeline, String after, boolean upgradeOffered) {
        HttpServerCodec codec = Http1Codecs.server(MAX_REQUEST_LINE_BYTES, MAX_HEADER_BYTES, 65536);
        pipeline.addAfter(after, "h1-proxy", new HttpProxyHandler(services, filter));
        pipeline.addAfter(after, "h1-continue", new HttpServerExpectContinueHandler());
        if (upgradeOffered) {
            HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol ->
                    AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                            ? new Http2ServerUpgradeCodec(http2Codec(), streams(true)) : null, 65536);
            pipeline.addAfter(after, UPGRADE_HANDLER, upgrade);
        }
        pipeline.addAfter(after, "h1-codec", codec);
    }

    private static io.netty.handler.codec.http2.Http2FrameCodec http2Codec() {
        return new ServerHttp2CodecBuilder()
                .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(HTTP2_HARD_HEADER_LIST_BYTES))
                .build();
    }

    /**
     * The connection's streams, each relayed by an {@link HttpProxyHandler} without a channel of its own;
     * {@code upgraded}: the connection began as HTTP/1.1, whose codec already measured stream 1's request.
     */
    private Http2StreamDispatcher streams(boolean upgraded) {
        return new Http2StreamDispatcher(services, filter, MAX_HEADER_BYTES, upgraded);
    }
}
