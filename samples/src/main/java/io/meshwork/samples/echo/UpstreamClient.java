package io.meshwork.samples.echo;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls another service through an HTTP proxy (in the mesh, the caller's sidecar outbound
 * listener): origin-form requests with {@code Host: <service>}, over pooled keep-alive
 * connections on the echo server's own event loops.
 */
final class UpstreamClient implements AutoCloseable {

    /** An upstream answer: status, headers and body text. */
    record Reply(int status, HttpHeaders headers, String body) {
    }

    private static final AttributeKey<Promise<Reply>> PENDING = AttributeKey.valueOf("echo.upstream.pending");
    private static final int MAX_CONNECTIONS = 256;
    private static final int MAX_BODY = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI proxy;
    private final FixedChannelPool pool;

    UpstreamClient(EventLoopGroup group, URI proxy) {
        this.proxy = proxy;
        int port = proxy.getPort() == -1 ? 80 : proxy.getPort();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress(proxy.getHost(), port);
        this.pool = new FixedChannelPool(bootstrap, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), new ReplyHandler());
            }
        }, ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL, 5000, MAX_CONNECTIONS, 4096);
    }

    /** GETs {@code path} from {@code host} through the proxy; the future completes on {@code executor}. */
    Future<Reply> get(EventExecutor executor, String host, String path, HttpHeaders forwarded) {
        Promise<Reply> reply = executor.newPromise();
        pool.acquire().addListener((Future<Channel> acquired) -> {
            if (!acquired.isSuccess()) {
                reply.tryFailure(new ConnectException("upstream proxy " + proxy + ": " + acquired.cause().getMessage()));
                return;
            }
            Channel ch = acquired.getNow();
            ch.attr(PENDING).set(reply);
            // A reply that never comes must not hold a pooled connection forever.
            ch.eventLoop().schedule(() -> {
                if (ch.attr(PENDING).get() == reply) {
                    failPending(ch, new TimeoutException("upstream " + host + " did not answer within " + TIMEOUT));
                    ch.close();
                }
            }, TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers().set(forwarded).set(HttpHeaderNames.HOST, host).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            ch.writeAndFlush(request).addListener(written -> {
                if (!written.isSuccess()) {
                    failPending(ch, written.cause());
                    ch.close();
                }
            });
        });
        return reply;
    }

    private void failPending(Channel ch, Throwable cause) {
        Promise<Reply> pending = ch.attr(PENDING).getAndSet(null);
        if (pending != null) {
            pending.tryFailure(cause);
            pool.release(ch);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    private final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            Promise<Reply> pending = ctx.channel().attr(PENDING).getAndSet(null);
            if (!HttpUtil.isKeepAlive(response)) {
                ctx.close();
            }
            if (pending != null) {
                pending.trySuccess(new Reply(response.status().code(), response.headers().copy(), response.content().toString(StandardCharsets.UTF_8)));
                pool.release(ctx.channel());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            failPending(ctx.channel(), new ClosedChannelException());
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failPending(ctx.channel(), cause);
            ctx.close();
        }
    }
}
