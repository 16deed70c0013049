package io.meshwork.proxy.admin;

import io.meshwork.proxy.listener.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/** A small HTTP server for one admin port; the handler maps a request to a {@link Reply}, now or later. */
public final class AdminServer implements AutoCloseable {

    /** An admin response: status, content type and text body. */
    public record Reply(int status, String contentType, String body) {
        public static Reply text(int status, String body) {
            return new Reply(status, "text/plain; charset=utf-8", body);
        }

        public static Reply json(String body) {
            return new Reply(200, "application/json", body);
        }
    }

    /**
     * A handler that answers later (an app probe waits for the app). It must read what it needs from
     * the request before returning: the request is released then.
     */
    public interface AsyncHandler {
        CompletionStage<Reply> handle(FullHttpRequest request);
    }

    private final Channel channel;

    public AdminServer(Transport transport, String host, int port, Function<FullHttpRequest, Reply> handler)
            throws InterruptedException {
        this(transport, host, port, (AsyncHandler) request -> CompletableFuture.completedFuture(handler.apply(request)));
    }

    /** A server whose replies may come later (a separate factory: a lambda would fit both constructors). */
    public static AdminServer async(Transport transport, String host, int port, AsyncHandler handler)
            throws InterruptedException {
        return new AdminServer(transport, host, port, handler);
    }

    private AdminServer(Transport transport, String host, int port, AsyncHandler handler) throws InterruptedException {
        channel = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        boolean keepAlive = HttpUtil.isKeepAlive(request);
                                        CompletionStage<Reply> reply;
                                        try {
                                            reply = handler.handle(request);
                                        } catch (RuntimeException e) {
                                            reply = CompletableFuture.completedFuture(error(e));
                                        }
                                        reply.whenComplete((answer, failure) -> write(ctx,
                                                failure == null ? answer : error(failure), keepAlive));
                                    }
                                });
                    }
                })
                .bind(host, port).sync().channel();
    }

    private static Reply error(Throwable failure) {
        return Reply.text(500, "admin error: " + failure + "\n");
    }

    private static void write(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
