package io.meshwork.proxy.endpoint;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a pooled upstream connection that read nothing for the cluster's idle timeout and carries no
 * request (HTTP/1.1: back in its pool; HTTP/2: no open stream), as Envoy's upstream {@code idle_timeout}.
 */
final class UpstreamIdleTimeout extends IdleStateHandler {

    private UpstreamIdleTimeout(Duration idle) {
        super(idle.toNanos(), 0, 0, TimeUnit.NANOSECONDS);
    }

    /** The handlers to put first in a new connection's pipeline for {@code connections} (none when off). */
    static ChannelHandler[] before(UpstreamConnections connections, boolean http2, ChannelHandler... rest) {
        java.util.List<ChannelHandler> handlers = new java.util.ArrayList<>();
        if (!connections.idleTimeout().isZero()) {
            handlers.add(new UpstreamIdleTimeout(connections.idleTimeout()));
        }
        if (http2 && !connections.keepaliveInterval().isZero()) {
            handlers.add(new Http2Keepalive(connections.keepaliveInterval(), connections.keepaliveTimeout()));
        }
        handlers.addAll(java.util.List.of(rest));
        return handlers.toArray(ChannelHandler[]::new);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() != IdleState.READER_IDLE) {
            return;
        }
        Http2FrameCodec http2 = ctx.pipeline().get(Http2FrameCodec.class);
        UpstreamHandler http1 = ctx.pipeline().get(UpstreamHandler.class);
        boolean unused = http2 != null ? http2.connection().numActiveStreams() == 0 : http1 == null || http1.idle();
        if (unused) {
            ctx.channel().close();
        }
    }
}
