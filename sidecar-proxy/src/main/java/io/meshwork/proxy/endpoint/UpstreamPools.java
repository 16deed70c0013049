package io.meshwork.proxy.endpoint;

import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.tls.TlsContexts;
import io.meshwork.proxy.tls.UpstreamTls;
import io.meshwork.proxy.xds.ProxyConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every endpoint pool, one set per event loop (so the upstream connection lives on the downstream
 * connection's loop). When a config drops an endpoint its pools drain: requests in flight finish,
 * then the connections close.
 */
public final class UpstreamPools {

    private final Class<? extends SocketChannel> channelType;
    private final TlsContexts tls;
    private final Map<EventLoop, Map<PoolKey, EndpointPool>> byLoop = new ConcurrentHashMap<>();
    private volatile Set<PoolKey> live = Set.of();

    /** Identifies a pool; a record, so the per-request lookup builds no string. */
    private record PoolKey(String host, int port, boolean http2, UpstreamTls tls, UpstreamConnections connections) {
    }

    public UpstreamPools(Class<? extends SocketChannel> channelType, TlsContexts tls) {
        this.channelType = channelType;
        this.tls = tls;
    }

    /**
     * The pool for an endpoint of a cluster on the calling event loop. Toward an endpoint that takes mutual
     * TLS, each new connection gets the TLS context current when it opens (so a renewed certificate is used
     * by new connections and pooled ones keep theirs).
     */
    public EndpointPool pool(EventLoop loop, ClusterConfig cluster, EndpointConfig endpoint) {
        Map<PoolKey, EndpointPool> pools = byLoop.get(loop);
        if (pools == null) {
            pools = byLoop.computeIfAbsent(loop, key -> new HashMap<>());
        }
        PoolKey key = new PoolKey(endpoint.host(), endpoint.port(), cluster.http2(), endpoint.tls(),
                cluster.connections());
        EndpointPool pool = pools.get(key);
        if (pool == null) {
            InetSocketAddress address = new InetSocketAddress(endpoint.host(), endpoint.port());
            int timeout = (int) Math.max(1, cluster.connectTimeout().toMillis());
            UpstreamTls endpointTls = endpoint.tls();
            UpstreamConnector connector = new UpstreamConnector(loop, channelType, address, timeout,
                    endpointTls == null ? () -> null : () -> tls.client(endpointTls), endpointTls);
            pool = cluster.http2() ? new Http2Pool(loop, connector, cluster.connections())
                    : new Http1Pool(loop, connector, cluster.connections());
            pools.put(key, pool);
        }
        return pool;
    }

    /** Drains pools whose endpoint no cluster of the new config names (on each pool's own loop). */
    public void update(ProxyConfig config) {
        Set<PoolKey> next = new HashSet<>();
        for (ClusterConfig cluster : config.clusters().values()) {
            cluster.endpoints().forEach(e -> next.add(new PoolKey(e.host(), e.port(), cluster.http2(), e.tls(),
                    cluster.connections())));
        }
        live = Set.copyOf(next);
        byLoop.forEach((loop, pools) -> loop.execute(() -> {
            Set<PoolKey> current = live;
            pools.entrySet().removeIf(entry -> {
                if (!current.contains(entry.getKey())) {
                    entry.getValue().drain();
                    return true;
                }
                return false;
            });
        }));
    }
}
