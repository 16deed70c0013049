package io.meshwork.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
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
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A Netty HTTP/1.1 server on loopback that answers each request with the status {@code statuses} picks (its name as
 * the body), counting requests and keeping their Host headers; a status of 0 leaves the request unanswered (a hang).
 */
public final class NettyBackend implements AutoCloseable {

    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private final Channel server;
    private final AtomicInteger requests = new AtomicInteger();
    private final Queue<String> hosts = new ConcurrentLinkedQueue<>();

    public NettyBackend(String name, Function<FullHttpRequest, Integer> statuses) throws InterruptedException {
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        requests.incrementAndGet();
                                        hosts.add(String.valueOf(request.headers().get(HttpHeaderNames.HOST)));
                                        int status = statuses.apply(request);
                                        if (status == 0) {
                                            return;
                                        }
                                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
                                        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                                                .set("x-backend", name);
                                        boolean keepAlive = HttpUtil.isKeepAlive(request);
                                        var written = ctx.writeAndFlush(response);
                                        if (!keepAlive) {
                                            written.addListener(ChannelFutureListener.CLOSE);
                                        }
                                    }
                                });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public int requests() {
        return requests.get();
    }

    public Queue<String> hosts() {
        return hosts;
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
