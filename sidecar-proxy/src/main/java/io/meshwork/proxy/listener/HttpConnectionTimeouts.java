package io.meshwork.proxy.listener;

import io.meshwork.proxy.http.HttpProxyHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level timeouts of an HTTP filter chain ({@link ConnectionPolicy}), first in its pipeline
 * after TLS:
 * <ul>
 * <li>{@code idle_timeout}: Netty's reader-idle {@link IdleStateHandler}; a connection that read nothing
 *     for it and has no request in progress is closed (HTTP/2: GOAWAY first);</li>
 * <li>{@code request_headers_timeout}: from the first byte of a request head, read while no request is in
 *     progress, to the whole head; past it the client gets 408 and the connection closes (slowloris). One
 *     task per connection, re-armed lazily as the idle timeout's: a head's start is a field write, and the
 *     task, when it runs, times out the head in progress if its deadline has passed or waits for that
 *     deadline (a task scheduled and cancelled per request was 3.6% of the HTTP/1.1 path's garbage and a
 *     timer-queue insert and removal per request);</li>
 * <li>{@code max_connection_duration}: then the connection drains, as Envoy's: HTTP/1.1 answers what it
 *     has, the last answer with {@code Connection: close}; HTTP/2 sends GOAWAY and closes once its
 *     streams are done.</li>
 * </ul>
 * {@code stream_idle_timeout} is per request, in {@link HttpProxyHandler}, which reads it here.
 */
public final class HttpConnectionTimeouts extends IdleStateHandler {

    private static final Logger LOG = LoggerFactory.getLogger(HttpConnectionTimeouts.class);

    private static final long STREAMS_CHECK_MILLIS = 100;

    private final ConnectionPolicy policy;
    private ChannelHandlerContext ctx;
    /** No request head is being read or served: the next byte starts the request-headers timer. */
    private boolean awaitingHead = true;
    /** A request head is being read: it began at {@link #headStartNanos} (System.nanoTime()). */
    private boolean headInProgress;
    private long headStartNanos;
    /** Runs at or before the deadline of the head in progress, if any; it re-arms itself for a later one. */
    private ScheduledFuture<?> headTimer;
    private ScheduledFuture<?> durationTimer;

    public HttpConnectionTimeouts(ConnectionPolicy policy) {
        super(policy.idleTimeout().toNanos(), 0, 0, TimeUnit.NANOSECONDS);
        this.policy = policy;
    }

    public ConnectionPolicy policy() {
        return policy;
    }

    /** A request's head is complete (HTTP/1.1): the request-headers timer stops. */
    public void requestHeadReceived() {
        awaitingHead = false;
        headInProgress = false; // the timer, if armed, finds no head when it runs
    }

    /** The exchange is over (HTTP/1.1): the next request's first byte starts the timer again. */
    public void exchangeEnded() {
        awaitingHead = true;
        headInProgress = false;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        long maxDuration = policy.maxConnectionDuration().toNanos();
        if (maxDuration > 0) {
            durationTimer = ctx.executor().schedule(this::maxDurationReached, maxDuration, TimeUnit.NANOSECONDS);
        }
        super.handlerAdded(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        cancelTimers();
        super.handlerRemoved(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimers();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (awaitingHead && !headInProgress && msg instanceof ByteBuf bytes && bytes.isReadable()) {
            long timeout = policy.requestHeadersTimeout().toNanos();
            if (timeout > 0) {
                headInProgress = true;
                headStartNanos = System.nanoTime();
                if (headTimer == null) {
                    headTimer = ctx.executor().schedule(this::headTimerRuns, timeout, TimeUnit.NANOSECONDS);
                }
            }
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() == IdleState.READER_IDLE && noRequestInProgress(ctx.pipeline())) {
            LOG.debug("closing {}: idle for {} (idle_timeout)", ctx.channel(), policy.idleTimeout());
            ctx.channel().close(); // from the tail, through the HTTP/2 codec: GOAWAY before the close
        }
    }

    private static boolean noRequestInProgress(ChannelPipeline pipeline) {
        Http2FrameCodec http2 = pipeline.get(Http2FrameCodec.class);
        if (http2 != null) {
            return http2.connection().numActiveStreams() == 0;
        }
        HttpProxyHandler http = pipeline.get(HttpProxyHandler.class);
        return http == null || http.idle();
    }

    private void headTimerRuns() {
        headTimer = null;
        if (!headInProgress) {
            return; // armed for a head that was received: the next head's first byte arms it again
        }
        long left = headStartNanos + policy.requestHeadersTimeout().toNanos() - System.nanoTime();
        if (left > 0) {
            headTimer = ctx.executor().schedule(this::headTimerRuns, left, TimeUnit.NANOSECONDS);
            return;
        }
        headTimedOut();
    }

    private void headTimedOut() {
        ChannelPipeline pipeline = ctx.pipeline();
        if (!awaitingHead || pipeline.get(Http2FrameCodec.class) != null || !noRequestInProgress(pipeline)) {
            return;
        }
        LOG.debug("closing {}: request head not complete within {} (request_headers_timeout)", ctx.channel(),
                policy.requestHeadersTimeout());
        byte[] body = ("request headers not received within " + policy.requestHeadersTimeout().toMillis()
                + " ms\n").getBytes(StandardCharsets.UTF_8);
        ByteBuf response = Unpooled.copiedBuffer("HTTP/1.1 408 Request Timeout\r\n"
                + "content-type: text/plain; charset=utf-8\r\ncontent-length: " + body.length + "\r\n"
                + "connection: close\r\nx-meshwork-error: true\r\n\r\n", StandardCharsets.US_ASCII);
        // Written from here, below the HTTP codec (whose state is mid-request) and above TLS.
        ctx.writeAndFlush(Unpooled.wrappedBuffer(response, Unpooled.wrappedBuffer(body)))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void maxDurationReached() {
        durationTimer = null;
        HttpProxyHandler http = ctx.pipeline().get(HttpProxyHandler.class);
        if (ctx.pipeline().get(Http2FrameCodec.class) != null) {
            ctx.channel().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            closeWhenStreamsEnd();
        } else if (http != null) {
            http.closeWhenAnswered();
        } else {
            ctx.channel().close();
        }
    }

    /**
     * After GOAWAY: closes once no stream is open, looked at every {@value #STREAMS_CHECK_MILLIS} ms (a stream
     * ends when its last frame is written, which may not be flushed yet: the close, from the tail through
     * the HTTP/2 codec, flushes first).
     */
    private void closeWhenStreamsEnd() {
        durationTimer = null;
        Http2FrameCodec http2 = ctx.pipeline().get(Http2FrameCodec.class);
        if (http2 == null || http2.connection().numActiveStreams() == 0) {
            ctx.channel().close();
            return;
        }
        durationTimer = ctx.executor().schedule(this::closeWhenStreamsEnd, STREAMS_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void cancelTimers() {
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
        if (durationTimer != null) {
            durationTimer.cancel(false);
            durationTimer = null;
        }
    }
}
