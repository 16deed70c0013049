package io.meshwork.proxy.endpoint;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.meshwork.proxy.http.Http1Codecs;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/** HTTP/1.1 keep-alive connections to one endpoint, on one event loop. */
final class Http1Pool implements EndpointPool {

    /** Enough for the concurrent streams of HTTP/2 clients (10 x 10 in the benchmark; 64 made it churn). */
    private static final int MAX_IDLE = 1024;

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private int busy;
    private boolean draining;

    Http1Pool(EventLoop loop, Class<? extends SocketChannel> channelType, InetSocketAddress address,
              int connectTimeoutMillis) {
        this.loop = loop;
        this.bootstrap = new Bootstrap().group(loop).channel(channelType).remoteAddress(address)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new UpstreamHttp1Codec(Http1Codecs.decoderConfig(4096, 65536, 16384)), new UpstreamHandler());
                    }
                });
    }

    @Override
    public Future<Channel> acquire(boolean fresh) {
        if (!fresh) {
            Channel channel;
            while ((channel = idle.pollLast()) != null) {
                if (channel.isActive()) {
                    busy++;
                    return loop.newSucceededFuture(channel);
                }
            }
        }
        Promise<Channel> promise = loop.newPromise();
        ChannelFuture connect = bootstrap.connect();
        busy++;
        connect.addListener(f -> {
            if (f.isSuccess()) {
                Channel channel = connect.channel();
                // Once per connection (not per release, where listeners would pile up on a long-lived one).
                channel.closeFuture().addListener(c -> idle.remove(channel));
                promise.setSuccess(channel);
            } else {
                busy--;
                promise.setFailure(f.cause());
            }
        });
        return promise;
    }

    @Override
    public void release(Channel channel, boolean reusable) {
        busy--;
        channel.pipeline().get(UpstreamHandler.class).listener(null);
        if (!reusable || draining || !channel.isActive() || idle.size() >= MAX_IDLE) {
            channel.close();
            return;
        }
        idle.addLast(channel);
        // Read while idle so a server-side close is noticed before the connection is reused.
        channel.read();
    }

    @Override
    public void drain() {
        draining = true;
        Channel channel;
        while ((channel = idle.poll()) != null) {
            channel.close();
        }
    }

    @Override
    public boolean draining() {
        return draining;
    }

    @Override
    public boolean drained() {
        return draining && busy == 0 && idle.isEmpty();
    }
}
