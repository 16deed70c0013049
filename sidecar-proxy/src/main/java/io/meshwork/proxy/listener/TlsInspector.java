package io.meshwork.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Envoy's TLS inspector: tells a connection that opens with a TLS handshake record (content type 22,
 * major version 3) from one that does not, so the filter chain can be picked by transport protocol
 * ({@code tls} or {@code raw_buffer}). A client that sends nothing within {@link #TIMEOUT_MILLIS} (a
 * server-first protocol) is taken as {@code raw_buffer}, as Istio configures Envoy to continue on the
 * inspector's timeout. Removes itself and hands the bytes on.
 */
final class TlsInspector extends ByteToMessageDecoder {

    static final long TIMEOUT_MILLIS = 1000;
    private static final byte HANDSHAKE = 22;
    private static final byte TLS_MAJOR_VERSION = 3;

    /** Installs the chain for the transport found, after this handler, on the connection's event loop. */
    private final BiConsumer<ChannelHandlerContext, String> install;
    private ScheduledFuture<?> timeout;
    private boolean decided;

    TlsInspector(BiConsumer<ChannelHandlerContext, String> install) {
        this.install = install;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> decide(ctx, ListenerConfig.RAW_BUFFER), TIMEOUT_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 1) {
            return;
        }
        if (in.getByte(in.readerIndex()) != HANDSHAKE) {
            decide(ctx, ListenerConfig.RAW_BUFFER);
            return;
        }
        if (in.readableBytes() < 2) {
            return;
        }
        decide(ctx, in.getByte(in.readerIndex() + 1) == TLS_MAJOR_VERSION ? ListenerConfig.TLS : ListenerConfig.RAW_BUFFER);
    }

    private void decide(ChannelHandlerContext ctx, String transport) {
        if (decided || ctx.isRemoved()) {
            return;
        }
        decided = true;
        timeout.cancel(false);
        install.accept(ctx, transport);
        if (ctx.channel().isOpen()) {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
