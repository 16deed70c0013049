package io.meshwork.proxy.route.mirror;

import io.meshwork.proxy.admin.MeshMetrics;
import io.meshwork.proxy.endpoint.EndpointPool;
import io.meshwork.proxy.endpoint.UpstreamHandler;
import io.meshwork.proxy.endpoint.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One shadow of a mirrored request, fire and forget: its own connection from the mirror endpoint's pool on the
 * client's event loop, the copied head and body parts written as they come, the answer read and dropped. Nothing it
 * does reaches the client's exchange: a failure, a hang (cut after its timeout) or a body past {@link #MAX_BODY_BYTES}
 * (the shadow is dropped rather than buffered) only shows in {@code mesh_mirrored_requests_total}, by the status it
 * got (0: none).
 */
final class ShadowRequest implements UpstreamListener {

    /** A shadow holds the body parts it has not written yet; past this much body it gives up instead. */
    static final long MAX_BODY_BYTES = 1 << 20;

    private final EndpointPool pool;
    private final HttpRequest head;
    private final MeshMetrics metrics;
    private final String service;
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    private final ScheduledFuture<?> deadline;
    private Channel upstream;
    private long bodyBytes;
    private boolean requestDone;
    private boolean over;
    private int status;
    private boolean keepAlive;

    ShadowRequest(EndpointPool pool, io.meshwork.proxy.endpoint.ConnectionGate connections, HttpRequest head,
                  boolean bodyless, EventLoop loop, Duration timeout, MeshMetrics metrics, String service) {
        this.pool = pool;
        this.head = head;
        this.metrics = metrics;
        this.service = service;
        this.requestDone = bodyless;
        if (bodyless) {
            queued.add(LastHttpContent.EMPTY_LAST_CONTENT); // the request's end, so the connection can carry the next
        }
        this.deadline = loop.schedule(() -> finish(false), timeout.toMillis(), TimeUnit.MILLISECONDS);
        Future<Channel> acquired = pool.acquire(false, connections);
        if (acquired.isDone()) {
            acquired(acquired);
        } else {
            acquired.addListener(f -> acquired(acquired));
        }
    }

    private void acquired(Future<Channel> acquired) {
        if (over) {
            if (acquired.isSuccess()) {
                pool.release(acquired.getNow(), false);
            }
            return;
        }
        if (!acquired.isSuccess()) {
            finish(false);
            return;
        }
        upstream = acquired.getNow();
        upstream.pipeline().get(UpstreamHandler.class).listener(this);
        upstream.write(head, upstream.voidPromise());
        HttpContent part;
        while ((part = queued.poll()) != null) {
            upstream.write(part, upstream.voidPromise());
        }
        upstream.flush();
        upstream.read();
    }

    /** A part of the request body, which the shadow keeps a view of (the caller keeps its own). */
    void body(HttpContent part) {
        if (over) {
            return;
        }
        bodyBytes += part.content().readableBytes();
        if (bodyBytes > MAX_BODY_BYTES) {
            finish(false);
            return;
        }
        requestDone = part instanceof LastHttpContent;
        HttpContent copy = part.retainedDuplicate();
        if (upstream == null) {
            queued.add(copy);
        } else {
            upstream.writeAndFlush(copy, upstream.voidPromise());
        }
    }

    @Override
    public void onUpstreamRead(HttpObject message) {
        if (message instanceof HttpResponse response) {
            status = response.status().code();
            keepAlive = HttpUtil.isKeepAlive(response);
        }
        boolean last = message instanceof LastHttpContent;
        ReferenceCountUtil.release(message);
        if (last) {
            finish(requestDone && keepAlive);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!over) {
            upstream.read();
        }
    }

    @Override
    public void onUpstreamClosed() {
        upstream = null;
        finish(false);
    }

    @Override
    public void onUpstreamWritable() {
        // The shadow writes what it has at once; it never holds the client back.
    }

    private void finish(boolean reusable) {
        if (over) {
            return;
        }
        over = true;
        deadline.cancel(false);
        HttpContent part;
        while ((part = queued.poll()) != null) {
            part.release();
        }
        if (upstream != null) {
            Channel used = upstream;
            upstream = null;
            used.pipeline().get(UpstreamHandler.class).listener(null);
            pool.release(used, reusable);
        }
        metrics.mirrored(service, status);
    }
}
