package io.meshwork.proxy.listener;

import io.meshwork.proxy.admin.MeshMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a TLS connection's filter chain by the server name its ClientHello asks for (SNI), as Envoy's
 * {@code filter_chain_match.server_names} with the TLS inspector: reads the ClientHello (Netty's SNI parser), installs
 * the chain {@link ListenerConfig#chainFor(int, String, String)} picks after itself and steps aside, handing the
 * ClientHello on to that chain's TLS. A name no chain takes, with no chain for any name, closes the connection before
 * any certificate is sent (counted as a refused handshake).
 */
final class ServerNameSelector extends AbstractSniHandler<Optional<ListenerConfig.FilterChain>> {

    private static final Logger LOG = LoggerFactory.getLogger(ServerNameSelector.class);

    private final String listenerName;
    private final ListenerConfig listener;
    private final int destinationPort;
    private final MeshMetrics metrics;
    private final BiConsumer<ChannelHandlerContext, ListenerConfig.FilterChain> install;

    ServerNameSelector(String listenerName, ListenerConfig listener, int destinationPort, MeshMetrics metrics,
                       BiConsumer<ChannelHandlerContext, ListenerConfig.FilterChain> install) {
        this.listenerName = listenerName;
        this.listener = listener;
        this.destinationPort = destinationPort;
        this.metrics = metrics;
        this.install = install;
    }

    @Override
    protected Future<Optional<ListenerConfig.FilterChain>> lookup(ChannelHandlerContext ctx, String hostname) {
        return ctx.executor().newSucceededFuture(listener.chainFor(destinationPort, ListenerConfig.TLS, hostname));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname,
                                    Future<Optional<ListenerConfig.FilterChain>> future) {
        Optional<ListenerConfig.FilterChain> chain = future.isSuccess() ? future.getNow() : Optional.empty();
        if (chain.isEmpty()) {
            metrics.inboundTlsHandshake(listenerName, false);
            LOG.debug("listener {}: no filter chain for server name {} from {}, closing", listenerName,
                    hostname == null ? "(none)" : hostname, ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        install.accept(ctx, chain.get());
        if (ctx.channel().isOpen()) {
            ctx.pipeline().remove(this);
        }
    }
}
