package io.meshwork.proxy.listener;

import io.meshwork.proxy.http.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up an accepted connection: looks up its listener in the current config, picks the filter
 * chain by original destination port, and installs tcp_proxy or HTTP protocol detection.
 */
final class ConnectionInitializer extends ChannelInitializer<Channel> {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionInitializer.class);

    private final String listenerName;
    private final ProxyServices services;
    private final OriginalDestination originalDestination;

    ConnectionInitializer(String listenerName, ProxyServices services, OriginalDestination originalDestination) {
        this.listenerName = listenerName;
        this.services = services;
        this.originalDestination = originalDestination;
    }

    @Override
    protected void initChannel(Channel channel) {
        ListenerConfig listener = services.clusters().view().config().listeners().get(listenerName);
        InetSocketAddress destination = originalDestination.of(channel);
        int port = destination.getPort();
        Optional<ListenerConfig.FilterChain> chain = listener == null ? Optional.empty() : listener.chainFor(port);
        if (chain.isEmpty()) {
            LOG.debug("listener {}: no filter chain for destination port {}, closing", listenerName, port);
            channel.close();
            return;
        }
        services.drain().accepted(channel);
        if (chain.get().filter() instanceof ListenerConfig.TcpProxy tcp) {
            channel.pipeline().addLast(new TcpProxyHandler(services, tcp.cluster()));
        } else {
            // Only captured traffic (headed elsewhere than this listener) may be passed through as TCP.
            InetSocketAddress captured = destination.equals(channel.localAddress()) ? null : destination;
            channel.pipeline().addLast(new ProtocolDetector(services, (ListenerConfig.HttpFilter) chain.get().filter(),
                    captured));
        }
    }
}
