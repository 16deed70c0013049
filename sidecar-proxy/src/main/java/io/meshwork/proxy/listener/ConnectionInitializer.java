package io.meshwork.proxy.listener;

import io.meshwork.proxy.filter.rbac.Rbac;
import io.meshwork.proxy.http.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up an accepted connection: looks up its listener in the current config, picks the filter
 * chain by original destination port (and, behind the TLS inspector, transport protocol), and
 * installs mutual TLS where the chain terminates it, then tcp_proxy or HTTP protocol detection.
 */
final class ConnectionInitializer extends ChannelInitializer<Channel> {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionInitializer.class);

    private final String listenerName;
    private final ProxyServices services;
    private final OriginalDestination originalDestination;
    private final ConnectionLimiter limiter;

    ConnectionInitializer(String listenerName, ProxyServices services, OriginalDestination originalDestination,
                          ConnectionLimiter limiter) {
        this.listenerName = listenerName;
        this.services = services;
        this.originalDestination = originalDestination;
        this.limiter = limiter;
    }

    @Override
    protected void initChannel(Channel channel) {
        ListenerConfig listener = services.clusters().view().config().listeners().get(listenerName);
        if (!limiter.admit(channel, listener == null ? 0 : listener.connections().maxConnections())) {
            return;
        }
        InetSocketAddress destination = originalDestination.of(channel);
        if (listener != null && listener.tlsInspector()) {
            channel.pipeline().addLast("tls-inspector", new TlsInspector((ctx, transport) ->
                    install(channel, listener, destination, transport, ctx.name())));
            return;
        }
        install(channel, listener, destination, ListenerConfig.RAW_BUFFER, null);
    }

    /**
     * Picks the filter chain by destination port and transport protocol and installs it (after
     * {@code after}, or last): mutual TLS first when the chain terminates it, then tcp_proxy or
     * HTTP protocol detection.
     */
    private void install(Channel channel, ListenerConfig listener, InetSocketAddress destination, String transport,
                         String after) {
        int port = destination.getPort();
        if (listener != null && transport.equals(ListenerConfig.TLS) && listener.usesServerNames()) {
            // A gateway's HTTPS chains differ by server name: the ClientHello decides.
            addAfter(channel.pipeline(), after, List.of(new ServerNameSelector(listenerName, listener, port,
                    services.metrics(), (ctx, picked) -> install(channel, listener, destination, transport, picked,
                            ctx.name()))));
            return;
        }
        Optional<ListenerConfig.FilterChain> chain = listener == null ? Optional.empty()
                : listener.chainFor(port, transport);
        if (chain.isEmpty()) {
            LOG.debug("listener {}: no filter chain for destination port {} ({}), closing", listenerName, port, transport);
            channel.close();
            return;
        }
        install(channel, listener, destination, transport, chain.get(), after);
    }

    /** Installs {@code picked} (after {@code after}, or last): its TLS first when it terminates TLS, then its filters. */
    private void install(Channel channel, ListenerConfig listener, InetSocketAddress destination, String transport,
                         ListenerConfig.FilterChain picked, String after) {
        int port = destination.getPort();
        services.drain().accepted(channel);
        if (picked.tls() == null) {
            installFilters(channel, picked, listener.connections(), destination, transport, null, after);
            return;
        }
        SslContext tls = services.tls().server(picked.tls());
        if (tls == null) {
            LOG.warn("listener {}: a TLS connection from {} on port {}, but this sidecar has no workload "
                    + "certificate to answer with (mesh proxy --token-file); closing", listenerName,
                    channel.remoteAddress(), port);
            channel.close();
            return;
        }
        addAfter(channel.pipeline(), after, List.of(tls.newHandler(channel.alloc()), new MtlsHandshake(listenerName,
                services.metrics(), (ctx, peer) -> installFilters(channel, picked, listener.connections(), destination, transport, peer,
                        ctx.name()))));
    }

    /**
     * The chain's filters: network RBAC (decided here, on the peer identity), then tcp_proxy or HTTP
     * protocol detection, after {@code after} (or last).
     */
    private void installFilters(Channel channel, ListenerConfig.FilterChain chain, ConnectionPolicy connections,
                                InetSocketAddress destination, String transport, String peer, String after) {
        if (chain.networkRbac() != null) {
            Rbac.Decision decision = chain.networkRbac().decide(peer, null);
            services.metrics().authorization(peer, services.tls().ownIdentity(), decision.allowed());
            if (!decision.allowed()) {
                LOG.debug("listener {}: connection from {} refused: {}", listenerName, channel.remoteAddress(),
                        decision.policy() == null ? "no policy allows " + (peer == null ? "a plaintext client" : peer)
                                : "denied by " + decision.policy());
                channel.close();
                return;
            }
        }
        List<ChannelHandler> handlers;
        if (chain.filter() instanceof ListenerConfig.TcpProxy tcp) {
            handlers = List.of(new TcpProxyHandler(services, tcp.cluster()));
        } else {
            // Only captured traffic (headed elsewhere than this listener) may be passed through as TCP.
            InetSocketAddress captured = destination.equals(channel.localAddress()) ? null : destination;
            HttpChainBinding binding = new HttpChainBinding(listenerName, destination.getPort(), transport,
                    (ListenerConfig.HttpFilter) chain.filter(), services.clusters().view().config());
            // The listener's HTTP timeouts first, after TLS: they see the bytes of every request head.
            handlers = List.of(new HttpConnectionTimeouts(connections), new ProtocolDetector(services, binding, captured));
        }
        addAfter(channel.pipeline(), after, handlers);
    }

    private static void addAfter(ChannelPipeline pipeline, String after, List<ChannelHandler> handlers) {
        String previous = after;
        for (ChannelHandler handler : handlers) {
            if (previous == null) {
                pipeline.addLast(handler);
            } else {
                String name = handler.getClass().getSimpleName() + "#" + System.identityHashCode(handler);
                pipeline.addAfter(previous, name, handler);
                previous = name;
            }
        }
    }
}
