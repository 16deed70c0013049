package io.meshwork.proxy.endpoint;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/** One multiplexed HTTP/2 connection to one endpoint, on one event loop; each exchange is a stream. */
final class Http2Pool implements EndpointPool {

    private final EventLoop loop;
    private final UpstreamConnector connector;
    private final UpstreamConnections connections;
    private Channel connection;
    private Promise<Channel> connecting;
    private int busy;
    private boolean draining;

    Http2Pool(EventLoop loop, UpstreamConnector connector, UpstreamConnections connections) {
        this.loop = loop;
        this.connector = connector;
        this.connections = connections;
    }

    @Override
    public Future<Channel> acquire(boolean fresh, ConnectionGate gate) {
        Promise<Channel> stream = loop.newPromise();
        busy++;
        stream.addListener(f -> {
            if (!f.isSuccess()) {
                busy--;
            }
        });
        // `fresh` needs no new connection here: a dead connection is replaced below anyway, and closing a
        // live one would reset every other stream multiplexed on it.
        if (connection != null && connection.isActive()) {
            openStream(connection, stream);
        } else {
            connect(gate).addListener(f -> {
                if (f.isSuccess()) {
                    openStream((Channel) f.getNow(), stream);
                } else {
                    stream.setFailure(f.cause());
                }
            });
        }
        return stream;
    }

    @Override
    public boolean ready(boolean fresh) {
        return connection != null && connection.isActive();
    }

    /** The pool's one connection is always let open (as Envoy lets each pool have one), but counted by {@code gate}. */
    private Future<Channel> connect(ConnectionGate gate) {
        if (connecting != null) {
            return connecting;
        }
        gate.tryOpen(true);
        Promise<Channel> promise = loop.newPromise();
        connecting = promise;
        Future<Channel> future = connector.connect(true, () -> UpstreamIdleTimeout.before(connections, true,
                Http2FrameCodecBuilder.forClient().build(), new Http2MultiplexHandler(new ChannelInboundHandlerAdapter())));
        future.addListener(f -> {
            connecting = null;
            if (f.isSuccess()) {
                connection = future.getNow();
                Channel opened = connection;
                opened.closeFuture().addListener(c -> {
                    gate.closed();
                    if (connection == opened) {
                        connection = null;
                    }
                });
                promise.setSuccess(opened);
            } else {
                gate.closed();
                promise.setFailure(f.cause());
            }
        });
        return promise;
    }

    private void openStream(Channel parent, Promise<Channel> stream) {
        new Http2StreamChannelBootstrap(parent)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new UpstreamHandler());
                    }
                })
                .open()
                .addListener(f -> {
                    if (f.isSuccess()) {
                        stream.setSuccess((Channel) f.getNow());
                    } else {
                        stream.setFailure(f.cause());
                    }
                });
    }

    @Override
    public void release(Channel stream, boolean reusable) {
        busy--;
        stream.pipeline().get(UpstreamHandler.class).listener(null);
        // A finished stream is closed; the connection stays for the next one.
        stream.close();
        if (draining && busy == 0 && connection != null) {
            connection.close();
        }
    }

    @Override
    public void drain() {
        draining = true;
        if (busy == 0 && connection != null) {
            connection.close();
        }
    }

    @Override
    public boolean draining() {
        return draining;
    }

    @Override
    public boolean drained() {
        return draining && busy == 0;
    }

}
