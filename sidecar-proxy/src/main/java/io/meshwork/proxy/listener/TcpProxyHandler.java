package io.meshwork.proxy.listener;

import io.meshwork.proxy.cluster.LoadBalancer;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.http.ProxyServices;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tcp_proxy: one upstream connection per downstream one, on the same event loop, relayed as in
 * Netty's HexDumpProxy (AUTO_READ off, the next read once the previous write flushed). Each upstream connection
 * holds a place in its cluster's {@code max_connections} until it closes; a connection finding none is closed at once.
 */
public final class TcpProxyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(TcpProxyHandler.class);

    /** The service label of connections relayed to their original destination (as Istio's). */
    static final String PASSTHROUGH = "PassthroughCluster";
    private static final int PASSTHROUGH_CONNECT_TIMEOUT_MS = 1000;

    private final ProxyServices services;
    private final String clusterName;
    private final InetSocketAddress passthrough;
    private final ArrayDeque<Object> early = new ArrayDeque<>();
    private Channel upstream;
    private String service = "unknown";
    private long sent;
    private long received;
    private boolean counted;
    /** The cluster's connection count this connection's upstream holds a place in, until it closes; null for none. */
    private io.meshwork.proxy.endpoint.ConnectionGate gate;

    public TcpProxyHandler(ProxyServices services, String clusterName) {
        this(services, clusterName, null);
    }

    private TcpProxyHandler(ProxyServices services, String clusterName, InetSocketAddress passthrough) {
        this.services = services;
        this.clusterName = clusterName;
        this.passthrough = passthrough;
    }

    /** Relays to where the connection was headed (captured non-HTTP traffic with no tcp_proxy chain). */
    static TcpProxyHandler passthrough(ProxyServices services, InetSocketAddress originalDestination) {
        return new TcpProxyHandler(services, PASSTHROUGH, originalDestination);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel downstream = ctx.channel();
        InetSocketAddress target;
        int connectTimeoutMs;
        SslContext tls = null;
        String sni = null;
        if (passthrough != null) {
            target = passthrough;
            service = PASSTHROUGH;
            connectTimeoutMs = PASSTHROUGH_CONNECT_TIMEOUT_MS;
        } else {
            LoadBalancer balancer = services.clusters().view().balancers().get(clusterName);
            EndpointConfig endpoint = balancer == null ? null : balancer.pick();
            if (endpoint == null) {
                LOG.debug("tcp_proxy: no healthy endpoint in cluster {}, closing", clusterName);
                downstream.close();
                return;
            }
            // Envoy's tcp_proxy: past the cluster's max_connections the connection is closed at once (upstream_cx_overflow).
            io.meshwork.proxy.cluster.ClusterResources resources = services.clusters().resources(balancer.cluster());
            if (!resources.tryOpen(false)) {
                LOG.debug("tcp_proxy: cluster {} is at max_connections, closing", clusterName);
                downstream.close();
                return;
            }
            gate = resources;
            target = new InetSocketAddress(endpoint.host(), endpoint.port());
            service = balancer.cluster().service();
            if (endpoint.tls() != null) {
                tls = services.tls().client(endpoint.tls());
                sni = endpoint.tls().sni().isEmpty() ? null : endpoint.tls().sni();
            }
            connectTimeoutMs = (int) balancer.cluster().connectTimeout().toMillis();
        }
        services.drain().begin();
        counted = true;
        SslContext upstreamTls = tls;
        String upstreamSni = sni;
        Bootstrap bootstrap = new Bootstrap().group(downstream.eventLoop())
                .channel(services.transport().socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (upstreamTls != null) {
                            ch.pipeline().addLast(upstreamSni == null ? upstreamTls.newHandler(ch.alloc())
                                    : upstreamTls.newHandler(ch.alloc(), upstreamSni, target.getPort()));
                        }
                        ch.pipeline().addLast(new Backend(downstream));
                    }
                });
        bootstrap.connect(target).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                releaseGate();
                closeOnFlush(downstream);
                return;
            }
            if (!downstream.isActive()) {
                f.channel().close(); // the client left while we connected
                return;
            }
            SslHandler ssl = f.channel().pipeline().get(SslHandler.class);
            if (ssl == null) {
                relayFrom(f.channel(), downstream);
                return;
            }
            f.channel().read(); // the handshake's first read
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    relayFrom(f.channel(), downstream);
                } else {
                    LOG.debug("tcp_proxy to {}: TLS handshake failed: {}", target, h.cause().toString());
                    f.channel().close();
                    closeOnFlush(downstream);
                }
            });
        });
    }

    private void releaseGate() {
        if (gate != null) {
            gate.closed();
            gate = null;
        }
    }

    /** The upstream connection is ready: send what arrived meanwhile, then relay both ways. */
    private void relayFrom(Channel connected, Channel downstream) {
        upstream = connected;
        Object msg;
        while ((msg = early.poll()) != null) {
            upstream.write(msg);
        }
        upstream.flush();
        upstream.read();
        downstream.read();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            sent += buf.readableBytes();
        }
        if (upstream == null) {
            early.add(msg);
            return;
        }
        relay(msg, upstream, ctx.channel());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (upstream != null) {
            closeOnFlush(upstream);
        }
        Object msg;
        while ((msg = early.poll()) != null) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
        if (counted) {
            counted = false;
            services.metrics().tcpBytes(service, sent, received);
            services.drain().end();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeOnFlush(ctx.channel());
    }

    /** Writes to one side and reads the next message from the other only once the write flushed. */
    private static void relay(Object msg, Channel to, Channel from) {
        to.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                from.read();
            } else {
                f.channel().close();
            }
        });
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The upstream side: relays to the downstream channel, reading on when each write flushed. */
    private final class Backend extends ChannelInboundHandlerAdapter {
        private final Channel downstream;

        Backend(Channel downstream) {
            this.downstream = downstream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                received += buf.readableBytes();
            }
            relay(msg, downstream, ctx.channel());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseGate();
            closeOnFlush(downstream);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeOnFlush(ctx.channel());
        }
    }
}
