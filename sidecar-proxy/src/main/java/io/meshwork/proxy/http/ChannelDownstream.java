package io.meshwork.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/** An HTTP/1.1 connection's {@link Downstream}: its channel. */
record ChannelDownstream(ChannelHandlerContext ctx) implements Downstream {
    @Override
    public io.netty.channel.EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public Channel connection() {
        return ctx.channel();
    }

    @Override
    public void write(Object msg) {
        ctx.write(msg, ctx.voidPromise());
    }

    @Override
    public void flushLater() {
        LoopFlusher.flushLater(ctx.channel());
    }

    @Override
    public void writeAndClose(Object last) {
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void close() {
        ctx.close();
    }

    @Override
    public void read() {
        ctx.read();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }
}
