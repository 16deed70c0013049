package io.meshwork.proxy.listener;

import io.meshwork.proxy.http.HttpProxyHandler;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts requests and TCP connections in flight, and whether the sidecar is draining. Draining
 * tells HTTP/2 clients GOAWAY and closes idle HTTP/1.1 connections, so clients move elsewhere
 * while requests in flight finish.
 */
public final class Drain {

    private final AtomicInteger active = new AtomicInteger();
    private final ChannelGroup downstream = new DefaultChannelGroup("downstream", GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;

    /** Remembers an accepted connection (the group forgets it when it closes). */
    void accepted(Channel channel) {
        downstream.add(channel);
    }

    public void begin() {
        active.incrementAndGet();
    }

    public void end() {
        active.decrementAndGet();
    }

    public int active() {
        return active.get();
    }

    public boolean draining() {
        return draining;
    }

    public void startDraining() {
        if (draining) {
            return;
        }
        draining = true;
        for (Channel channel : downstream) {
            channel.eventLoop().execute(() -> {
                if (channel.pipeline().get(Http2FrameCodec.class) != null) {
                    channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                    return;
                }
                HttpProxyHandler http = channel.pipeline().get(HttpProxyHandler.class);
                if (http != null && http.idle()) {
                    channel.close();
                }
            });
        }
    }
}
