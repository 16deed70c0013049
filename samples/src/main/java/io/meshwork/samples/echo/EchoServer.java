package io.meshwork.samples.echo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The echo sample service: on one port it serves HTTP/1.1, HTTP/2 cleartext (prior knowledge
 * and h2c upgrade) and gRPC {@code echo.Echo}, answering with its service, version and pod.
 */
public final class EchoServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EchoServer.class);
    private static final int MAX_UPGRADE_REQUEST = 64 * 1024;

    private final EchoConfig config;
    private final EventLoopGroup group;
    private final UpstreamClient upstream;
    private final Channel serverChannel;

    private EchoServer(EchoConfig config, EventLoopGroup group, UpstreamClient upstream, Channel serverChannel) {
        this.config = config;
        this.group = group;
        this.upstream = upstream;
        this.serverChannel = serverChannel;
    }

    /** Binds and starts serving; logs one line when ready. */
    public static EchoServer start(EchoConfig config) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        UpstreamClient upstream = config.upstream() == null ? null : new UpstreamClient(group, config.upstream());
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            initConnection(ch, config, upstream);
                        }
                    })
                    .bind(config.address(), config.port())
                    .sync()
                    .channel();
            EchoServer server = new EchoServer(config, group, upstream, channel);
            log.info("echo {} {} (pod {}) ready on {}:{}: HTTP/1.1, h2c, gRPC echo.Echo{}",
                    config.service(), config.version(), config.pod(), config.address(), server.port(),
                    config.upstream() == null ? ""
                            : "; calls " + (config.call() == null ? "x-echo-call" : config.call())
                                    + " via " + config.upstream());
            return server;
        } catch (InterruptedException | RuntimeException e) {
            if (upstream != null) {
                upstream.close();
            }
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * One port, three protocols: the cleartext handler sees the HTTP/2 preface (prior knowledge)
     * or an {@code Upgrade: h2c} request, else the connection stays HTTP/1.1; gRPC is HTTP/2
     * with {@code content-type: application/grpc}, told apart per stream.
     */
    private static void initConnection(SocketChannel ch, EchoConfig config, UpstreamClient upstream) {
        ChannelInitializer<Http2StreamChannel> streamInit = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                        new EchoHandler(config, upstream, true));
            }
        };
        HttpServerCodec http1 = new HttpServerCodec();
        HttpServerUpgradeHandler upgrade = new BoundedUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(Http2FrameCodecBuilder.forServer().build(),
                                new Http2MultiplexHandler(streamInit, streamInit))
                        : null,
                MAX_UPGRADE_REQUEST);
        ch.pipeline().addLast(new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel priorKnowledge) {
                priorKnowledge.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                        new Http2MultiplexHandler(streamInit));
            }
        }));
        ch.pipeline().addLast(new EchoHandler(config, upstream, false));
    }

    /** The bound port (useful when the config asked for port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public EchoConfig config() {
        return config;
    }

    /** Blocks until the server is closed. */
    public void awaitClose() throws InterruptedException {
        serverChannel.closeFuture().await();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        if (upstream != null) {
            upstream.close();
        }
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
