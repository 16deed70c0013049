package io.meshwork.proxy.endpoint;

import io.meshwork.proxy.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * Opens connections to one endpoint: TCP, then, toward an endpoint that takes mutual TLS, the TLS
 * handshake with the context current at that moment. A connection is handed out only once its
 * handshake is done, so a refused peer identity fails the connect (and the request gets 503) instead
 * of a request being written into a connection that then closes.
 */
final class UpstreamConnector {

    private final EventLoop loop;
    private final InetSocketAddress address;
    private final Bootstrap bootstrap;
    private final Supplier<SslContext> tls;
    private final UpstreamTls settings;

    UpstreamConnector(EventLoop loop, Class<? extends SocketChannel> channelType, InetSocketAddress address,
                      int connectTimeoutMillis, Supplier<SslContext> tls, UpstreamTls settings) {
        this.loop = loop;
        this.address = address;
        this.tls = tls;
        this.settings = settings;
        this.bootstrap = new Bootstrap().group(loop).channel(channelType).remoteAddress(address)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    }

    /** Connects with {@code handlers} after TLS (if any); {@code autoRead} as the protocol needs it. */
    Future<Channel> connect(boolean autoRead, Supplier<ChannelHandler[]> handlers) {
        SslContext context = tls.get();
        Promise<Channel> promise = loop.newPromise();
        ChannelFuture connect = bootstrap.clone()
                .option(ChannelOption.AUTO_READ, autoRead)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (context != null) {
                            String sni = settings.sni().isEmpty() ? null : settings.sni();
                            ch.pipeline().addLast("tls", sni == null ? context.newHandler(ch.alloc())
                                    : context.newHandler(ch.alloc(), sni, address.getPort()));
                        }
                        ch.pipeline().addLast(handlers.get());
                    }
                })
                .connect();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
                return;
            }
            Channel channel = connect.channel();
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                promise.setSuccess(channel);
                return;
            }
            if (!autoRead) {
                channel.read(); // the handshake's first read; SslHandler asks for the rest itself
            }
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    promise.setSuccess(channel);
                } else {
                    channel.close();
                    promise.setFailure(h.cause());
                }
            });
        });
        return promise;
    }
}
