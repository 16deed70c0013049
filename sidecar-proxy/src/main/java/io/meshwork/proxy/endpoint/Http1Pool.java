package io.meshwork.proxy.endpoint;

import io.meshwork.proxy.http.Http1Codecs;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;

/** HTTP/1.1 keep-alive connections to one endpoint, on one event loop. */
final class Http1Pool implements EndpointPool {

    /** Enough for the concurrent streams of HTTP/2 clients (10 x 10 in the benchmark; 64 made it churn). */
    private static final int MAX_IDLE = 1024;

    private final EventLoop loop;
    private final UpstreamConnector connector;
    private final UpstreamConnections connections;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private int busy;
    private boolean draining;

    Http1Pool(EventLoop loop, UpstreamConnector connector, UpstreamConnections connections) {
        this.loop = loop;
        this.connector = connector;
        this.connections = connections;
    }

    @Override
    public Future<Channel> acquire(boolean fresh, ConnectionGate gate) {
        if (!fresh) {
            Channel channel;
            while ((channel = idle.pollLast()) != null) {
                if (channel.isActive()) {
                    busy++;
                    return loop.newSucceededFuture(channel);
                }
            }
        }
        if (!gate.tryOpen(busy == 0 && idle.isEmpty())) {
            return loop.newFailedFuture(new ConnectionOverflowException());
        }
        Promise<Channel> promise = loop.newPromise();
        Future<Channel> connect = connector.connect(false, () -> UpstreamIdleTimeout.before(connections, false,
                new UpstreamHttp1Codec(Http1Codecs.decoderConfig(4096, 65536, 16384)), new UpstreamHandler()));
        busy++;
        connect.addListener(f -> {
            if (f.isSuccess()) {
                Channel channel = connect.getNow();
                // Once per connection (not per release, where listeners would pile up on a long-lived one).
                channel.closeFuture().addListener(c -> {
                    idle.remove(channel);
                    gate.closed();
                });
                promise.setSuccess(channel);
            } else {
                busy--;
                gate.closed();
                promise.setFailure(f.cause());
            }
        });
        return promise;
    }

    @Override
    public boolean ready(boolean fresh) {
        if (fresh) {
            return false;
        }
        Channel last = idle.peekLast(); // the one acquire takes first; the loop's iterator only when it is closed
        if (last != null && last.isActive()) {
            return true;
        }
        for (Channel channel : idle) {
            if (channel.isActive()) {
                return true;
            }
        }
        return false;
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
