package io.meshwork.controlplane.admin;

import io.meshwork.controlplane.ca.IssuedCertificates;
import io.meshwork.controlplane.xds.ProxyStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's admin endpoint (15014): {@code /ready}, {@code /debug/proxies} and {@code /debug/clusters} (JSON) and
 * {@code /metrics} (Prometheus text), on Netty.
 *
 * <p>No client can hold it: each connection must deliver a whole request within the request timeout
 * (10 s, from its opening or from the previous response: HAProxy's {@code timeout http-request} and
 * {@code http-keep-alive}), else it is closed; at most {@code maxConnections} (64) are open at once, and
 * one more is closed on accept. {@code /ready} is answered on the event loop; scrapes and
 * {@code /debug/proxies} run on two worker threads, so a slow one delays no probe. A connection reads its
 * next request only once the previous one is answered.
 *
 * <p>{@code /debug/*} lists every sidecar's admin address, so it answers only a caller on loopback
 * ({@code kubectl port-forward} and the CLI on the same host are), and only requests a browser could not
 * have been tricked into sending: no {@code Origin} other than a loopback one, and a {@code Host} that
 * names loopback (a DNS-rebinding page's Host names its own domain). Others get 403 saying why.
 * {@code /ready} and {@code /metrics} answer anyone, as kubelet and Prometheus need.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_CONNECTIONS = 64;
    private static final String TEXT = "text/plain; charset=utf-8";

    private final InetSocketAddress address;
    private final BooleanSupplier ready;
    private final Supplier<List<ProxyStatus>> proxies;
    private final IssuedCertificates certificates;
    private final PrometheusMeterRegistry meters;
    private final long requestTimeoutNanos;
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private EventLoopGroup loop;
    private ExecutorService workers;
    private Channel server;
    private volatile Supplier<String> clusters = () -> "[]";

    /**
     * @param ready whether the control plane is ready to serve (first config loaded, xDS listening)
     */
    public AdminServer(InetSocketAddress address, BooleanSupplier ready, Supplier<List<ProxyStatus>> proxies,
                       PrometheusMeterRegistry meters) {
        this(address, ready, proxies, meters, DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_CONNECTIONS);
    }

    /** As above, with the time a request may take to arrive and the most connections open at once. */
    public AdminServer(InetSocketAddress address, BooleanSupplier ready, Supplier<List<ProxyStatus>> proxies,
                       PrometheusMeterRegistry meters, Duration requestTimeout, int maxConnections) {
        this(address, ready, proxies, meters, requestTimeout, maxConnections, new IssuedCertificates());
    }

    /** As above; {@code certificates} says when each proxy's certificate expires in {@code /debug/proxies}. */
    public AdminServer(InetSocketAddress address, BooleanSupplier ready, Supplier<List<ProxyStatus>> proxies,
                       PrometheusMeterRegistry meters, Duration requestTimeout, int maxConnections,
                       IssuedCertificates certificates) {
        this.certificates = certificates;
        this.address = address;
        this.ready = ready;
        this.proxies = proxies;
        this.meters = meters;
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.maxConnections = maxConnections;
    }

    /**
     * What {@code /debug/clusters} answers (JSON; the remote clusters of a multi-cluster control plane and
     * their state); without it, {@code []}.
     */
    public void debugClusters(Supplier<String> json) {
        this.clusters = json;
    }

    public AdminServer start() throws InterruptedException {
        loop = new MultiThreadIoEventLoopGroup(1, (java.util.concurrent.ThreadFactory) runnable -> daemon(runnable, "admin-http-loop"),
                NioIoHandler.newFactory());
        workers = Executors.newFixedThreadPool(2, runnable -> daemon(runnable, "admin-http"));
        server = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > maxConnections) {
                            open.decrementAndGet();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192), new HttpObjectAggregator(16 * 1024),
                                new Exchange());
                    }
                })
                .bind(address).sync().channel();
        return this;
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread t = new Thread(runnable, name);
        t.setDaemon(true);
        return t;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /**
     * One connection. Responses go out in the order of the requests (a pipelined {@code /metrics} before
     * {@code /ready} is answered first), and the next read is asked for once all are answered.
     */
    private final class Exchange extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ArrayDeque<Pending> pending = new ArrayDeque<>();
        private ScheduledFuture<?> deadline;

        /** A response being built; {@code response} is set on the event loop once it is. */
        private static final class Pending {
            final boolean keepAlive;
            FullHttpResponse response;

            Pending(boolean keepAlive) {
                this.keepAlive = keepAlive;
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            awaitRequest(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancelDeadline();
            pending.forEach(p -> {
                if (p.response != null) {
                    p.response.release();
                }
            });
            pending.clear();
        }

        /** The whole next request must arrive within the request timeout, or the connection closes. */
        private void awaitRequest(ChannelHandlerContext ctx) {
            deadline = ctx.executor().schedule(() -> ctx.close(), requestTimeoutNanos, TimeUnit.NANOSECONDS);
            ctx.read();
        }

        private void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            cancelDeadline();
            boolean valid = request.decoderResult().isSuccess();
            Pending slot = new Pending(valid && HttpUtil.isKeepAlive(request));
            pending.add(slot);
            boolean head = HttpMethod.HEAD.equals(request.method());
            if (!valid) {
                complete(ctx, slot, head, HttpResponseStatus.BAD_REQUEST, TEXT, "bad request: " + request.decoderResult().cause() + "\n");
                return;
            }
            String path = new QueryStringDecoder(request.uri()).path();
            if (!head && !HttpMethod.GET.equals(request.method())) {
                complete(ctx, slot, head, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "only GET and HEAD\n");
                return;
            }
            switch (path) {
                case "/ready" -> {
                    boolean ok = ready.getAsBoolean();
                    complete(ctx, slot, head, ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT,
                            ok ? "ready\n" : "not ready\n");
                }
                case "/metrics" -> offload(ctx, slot, head, "text/plain; version=0.0.4; charset=utf-8", meters::scrape);
                case "/debug/proxies" -> {
                    String refusal = DebugAccess.refusal((InetSocketAddress) ctx.channel().remoteAddress(), request.headers());
                    if (refusal != null) {
                        complete(ctx, slot, head, HttpResponseStatus.FORBIDDEN, TEXT, refusal + "\n");
                    } else {
                        offload(ctx, slot, head, "application/json", () -> ProxiesJson.write(proxies.get(), certificates));
                    }
                }
                case "/debug/clusters" -> {
                    String refusal = DebugAccess.refusal((InetSocketAddress) ctx.channel().remoteAddress(), request.headers());
                    if (refusal != null) {
                        complete(ctx, slot, head, HttpResponseStatus.FORBIDDEN, TEXT, refusal + "\n");
                    } else {
                        offload(ctx, slot, head, "application/json", clusters);
                    }
                }
                default -> complete(ctx, slot, head, HttpResponseStatus.NOT_FOUND, TEXT, "no such path: " + path + "\n");
            }
        }

        /** Builds the body on a worker thread, so the event loop stays free for probes. */
        private void offload(ChannelHandlerContext ctx, Pending slot, boolean head, String contentType, Supplier<String> body) {
            try {
                workers.execute(() -> {
                    HttpResponseStatus status = HttpResponseStatus.OK;
                    String type = contentType;
                    String text;
                    try {
                        text = body.get();
                    } catch (RuntimeException e) {
                        LOG.warn("admin endpoint failed", e);
                        status = HttpResponseStatus.INTERNAL_SERVER_ERROR;
                        type = TEXT;
                        text = "failed: " + e + "\n";
                    }
                    HttpResponseStatus s = status;
                    String t = type;
                    String b = text;
                    ctx.executor().execute(() -> complete(ctx, slot, head, s, t, b));
                });
            } catch (RejectedExecutionException e) {
                ctx.close(); // shutting down
            }
        }

        private void complete(ChannelHandlerContext ctx, Pending slot, boolean head, HttpResponseStatus status,
                              String contentType, String body) {
            if (!ctx.channel().isActive()) {
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            if (!slot.keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            slot.response = response;
            drain(ctx);
        }

        /** Writes the answered responses at the head of the queue, in order. */
        private void drain(ChannelHandlerContext ctx) {
            while (!pending.isEmpty() && pending.peek().response != null) {
                Pending done = pending.poll();
                var written = ctx.writeAndFlush(done.response);
                if (!done.keepAlive) {
                    written.addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                if (pending.isEmpty()) {
                    written.addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess() && pending.isEmpty()) {
                            awaitRequest(ctx);
                        }
                    });
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
            workers.shutdownNow();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
