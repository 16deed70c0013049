package io.meshwork.proxy.endpoint;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 keepalive toward an upstream (Envoy's {@code connection_keepalive}): while streams are open, a
 * connection that read nothing for the interval is sent a PING; when nothing at all comes back within the
 * timeout, the upstream is dead or blackholed and the connection closes, so its streams fail now instead of
 * waiting on a peer that will never answer. An idle connection is not pinged (as gRPC's keepalive without
 * calls is off by default), and any bytes read count as an answer.
 */
final class Http2Keepalive extends IdleStateHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Http2Keepalive.class);

    private final Duration timeout;
    private boolean readSincePing;

    Http2Keepalive(Duration interval, Duration timeout) {
        super(interval.toNanos(), 0, 0, TimeUnit.NANOSECONDS);
        this.timeout = timeout;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        readSincePing = true;
        super.channelRead(ctx, msg);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        Http2FrameCodec http2 = ctx.pipeline().get(Http2FrameCodec.class);
        if (evt.state() != IdleState.READER_IDLE || http2 == null || http2.connection().numActiveStreams() == 0) {
            return;
        }
        readSincePing = false;
        ctx.channel().writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
        ctx.executor().schedule(() -> {
            if (!readSincePing && ctx.channel().isActive()) {
                LOG.info("upstream {}: no answer to an HTTP/2 PING within {} ms (connection_keepalive), closing it "
                        + "and its {} streams", ctx.channel().remoteAddress(), timeout.toMillis(),
                        http2.connection().numActiveStreams());
                ctx.channel().close();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}
