package io.meshwork.proxy.listener;

import io.meshwork.proxy.http.ProxyServices;
import io.meshwork.proxy.xds.ProxyConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the listeners of the config: {@code outbound} on --outbound-port, {@code inbound} on
 * --inbound-port, and each {@code inbound|<port>} on its own address. Rebinds only what changed;
 * connections already accepted keep going.
 */
public final class ListenerManager {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerManager.class);

    private final ProxyServices services;
    private final String bindAddress;
    private final int outboundPort;
    private final int inboundPort;
    private final OriginalDestination originalDestination;
    private final Map<String, Channel> bound = new HashMap<>();
    private final Map<String, InetSocketAddress> addresses = new HashMap<>();
    private final Map<String, ConnectionLimiter> limiters = new HashMap<>();
    private boolean stopped;

    public ListenerManager(ProxyServices services, String bindAddress, int outboundPort, int inboundPort,
                           OriginalDestination originalDestination) {
        this.services = services;
        this.bindAddress = bindAddress;
        this.outboundPort = outboundPort;
        this.inboundPort = inboundPort;
        this.originalDestination = originalDestination;
    }

    /** Where a listener of the config binds on this host. */
    InetSocketAddress addressFor(ListenerConfig listener) {
        return switch (listener.name()) {
            case "outbound" -> new InetSocketAddress(bindAddress, outboundPort);
            case "inbound" -> new InetSocketAddress(bindAddress, inboundPort);
            default -> new InetSocketAddress(listener.host().isEmpty() || listener.host().equals("0.0.0.0")
                    ? bindAddress : listener.host(), listener.port());
        };
    }

    public synchronized void update(ProxyConfig config) {
        if (stopped) {
            return;
        }
        bound.entrySet().removeIf(entry -> {
            ListenerConfig listener = config.listeners().get(entry.getKey());
            if (listener == null || !addressFor(listener).equals(addresses.get(entry.getKey()))) {
                LOG.info("listener {} closed ({})", entry.getKey(), listener == null ? "removed" : "moved");
                entry.getValue().close();
                addresses.remove(entry.getKey());
                limiters.remove(entry.getKey());
                return true;
            }
            return false;
        });
        for (ListenerConfig listener : config.listeners().values()) {
            if (!bound.containsKey(listener.name())) {
                bind(listener);
            }
        }
    }

    private void bind(ListenerConfig listener) {
        InetSocketAddress address = addressFor(listener);
        ConnectionLimiter limiter = new ConnectionLimiter(listener.name());
        try {
            Channel channel = new ServerBootstrap()
                    .group(services.transport().group())
                    .channel(services.transport().serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ConnectionInitializer(listener.name(), services, originalDestination, limiter))
                    .bind(address).sync().channel();
            limiter.serverChannel(channel);
            bound.put(listener.name(), channel);
            limiters.put(listener.name(), limiter);
            addresses.put(listener.name(), address);
            LOG.info("listener {} listening on {}", listener.name(), channel.localAddress());
        } catch (Exception e) {
            LOG.error("listener {}: cannot bind {}: {}", listener.name(), address, e.toString());
        }
    }

    /** Where a listener is bound ({@code host:port}), or null when it is not. */
    public synchronized String boundAddress(String name) {
        Channel channel = bound.get(name);
        if (channel == null) {
            return null;
        }
        InetSocketAddress address = (InetSocketAddress) channel.localAddress();
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** The bound port of a listener (useful when its port was 0), or -1. */
    public synchronized int boundPort(String name) {
        Channel channel = bound.get(name);
        return channel == null ? -1 : ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /**
     * Per bound listener, Envoy's stats of its connections: {@code listener.<name>.downstream_cx_active}
     * and {@code downstream_cx_overflow} (closed at once past the connection limit), one per line.
     */
    public synchronized String connectionStats() {
        StringBuilder stats = new StringBuilder();
        limiters.forEach((name, limiter) -> stats.append("listener.").append(name).append(".downstream_cx_active ")
                .append(limiter.open()).append('\n').append("listener.").append(name)
                .append(".downstream_cx_overflow ").append(limiter.refused()).append('\n'));
        return stats.toString();
    }

    /** Stops accepting connections on every listener; accepted connections keep going. */
    public synchronized void stopAccepting() {
        stopped = true;
        bound.values().forEach(Channel::close);
        bound.clear();
    }
}
