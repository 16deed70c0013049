package io.meshwork.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpClientUpgradeHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2ClientUpgradeCodec;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A plain HTTP/2 client on Netty for tests, over one loopback connection, by prior knowledge or by an
 * h2c upgrade; each exchange opens a stream and collects what came back until the stream closed.
 */
public final class Http2TestClient implements AutoCloseable {

    /** What a stream got: the response headers and body, and the RST_STREAM error code if it was reset. */
    public record Response(Http2Headers headers, String body, Long resetCode) {

        public int status() {
            return headers == null ? 0 : Integer.parseInt(headers.status().toString());
        }
    }

    /** Responses get large headers back from the sidecar only in tests that ask for them. */
    private static final long MAX_RESPONSE_HEADER_LIST = 1024 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final CompletableFuture<Response> upgradeResponse = new CompletableFuture<>();
    private volatile boolean goAwayReceived;
    private Channel channel;

    private Http2TestClient() {
    }

    /** Connects to {@code 127.0.0.1:port} and starts HTTP/2 with the connection preface. */
    public static Http2TestClient priorKnowledge(int port) throws InterruptedException {
        Http2TestClient client = new Http2TestClient();
        client.connect(port, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(frameCodec(), new Http2MultiplexHandler(new IgnoredPush()),
                        client.goAwayWatcher());
            }
        });
        return client;
    }

    /**
     * Connects to {@code 127.0.0.1:port} and upgrades from HTTP/1.1 with {@code GET path} on
     * {@code authority}, with {@code extraHeaders}; that request's response is {@link #upgradeResponse()}.
     */
    public static Http2TestClient upgrade(int port, String authority, String path, Map<String, String> extraHeaders)
            throws Exception {
        Http2TestClient client = new Http2TestClient();
        CompletableFuture<Object> upgraded = new CompletableFuture<>();
        client.connect(port, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                HttpClientCodec http1 = new HttpClientCodec();
                Http2MultiplexHandler multiplex = new Http2MultiplexHandler(new IgnoredPush(),
                        new ResponseCollector(client.upgradeResponse));
                channel.pipeline().addLast(http1,
                        new HttpClientUpgradeHandler(http1,
                                new Http2ClientUpgradeCodec((Http2ConnectionHandler) frameCodec(), multiplex), 65536),
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof HttpClientUpgradeHandler.UpgradeEvent event
                                        && event != HttpClientUpgradeHandler.UpgradeEvent.UPGRADE_ISSUED) {
                                    upgraded.complete(event);
                                }
                                ctx.fireUserEventTriggered(evt);
                            }
                        },
                        client.goAwayWatcher());
            }
        });
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        request.headers().set(HttpHeaderNames.HOST, authority);
        extraHeaders.forEach(request.headers()::set);
        client.channel.writeAndFlush(request);
        Object event = upgraded.get(10, TimeUnit.SECONDS);
        if (event != HttpClientUpgradeHandler.UpgradeEvent.UPGRADE_SUCCESSFUL) {
            client.close();
            throw new IllegalStateException("h2c upgrade to 127.0.0.1:" + port + " failed: " + event);
        }
        return client;
    }

    private static Http2FrameCodec frameCodec() {
        return Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(MAX_RESPONSE_HEADER_LIST))
                .build();
    }

    private void connect(int port, ChannelInitializer<SocketChannel> initializer) throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(initializer)
                .connect("127.0.0.1", port).sync().channel();
    }

    private ChannelHandler goAwayWatcher() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2GoAwayFrame) {
                    goAwayReceived = true;
                }
                ReferenceCountUtil.release(msg);
            }
        };
    }

    /** The response to the request that carried the h2c upgrade (stream 1). */
    public Response upgradeResponse() throws Exception {
        return upgradeResponse.get(10, TimeUnit.SECONDS);
    }

    /** {@code GET path} on {@code authority} with {@code extra} headers; the request ends with its headers. */
    public Response get(String authority, String path, Http2Headers extra) throws Exception {
        return exchange(requestHeaders("GET", authority, path).add(extra), null, true);
    }

    /** The pseudo-headers of a request. */
    public static Http2Headers requestHeaders(String method, String authority, String path) {
        return new DefaultHttp2Headers().method(method).scheme("http").authority(authority).path(path);
    }

    /**
     * Opens a stream, sends {@code headers}, then {@code body} if not null, ending the request only if
     * {@code endRequest}; waits for the stream to close.
     */
    public Response exchange(Http2Headers headers, String body, boolean endRequest) throws Exception {
        CompletableFuture<Response> response = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel).handler(new ResponseCollector(response))
                .open().get(5, TimeUnit.SECONDS);
        stream.write(new DefaultHttp2HeadersFrame(headers, body == null && endRequest));
        if (body != null) {
            stream.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), endRequest));
        }
        stream.flush();
        return response.get(10, TimeUnit.SECONDS);
    }

    /** The connection is still open and the server never sent GOAWAY. */
    public boolean connectionUsable() {
        return channel.isActive() && !goAwayReceived;
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Collects one stream's frames; completes when the stream channel closes (both sides ended, or a reset). */
    private static final class ResponseCollector extends ChannelInboundHandlerAdapter {

        private final CompletableFuture<Response> done;
        private Http2Headers headers;
        private final StringBuilder body = new StringBuilder();
        private Long resetCode;

        ResponseCollector(CompletableFuture<Response> done) {
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame frame && headers == null) {
                headers = frame.headers();
            } else if (msg instanceof Http2DataFrame data) {
                ByteBuf content = data.content();
                body.append(content.toString(StandardCharsets.UTF_8));
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            // Netty hands a stream's RST_STREAM to its channel as an event, not a read.
            if (evt instanceof Http2ResetFrame reset) {
                resetCode = reset.errorCode();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.complete(new Response(headers, body.toString(), resetCode));
            ctx.fireChannelInactive();
        }
    }

    /** The sidecar never pushes; a stream it opened would be a bug, so it is just closed. */
    @ChannelHandler.Sharable
    private static final class IgnoredPush extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }
}
