package io.meshwork.proxy.http;

import io.meshwork.proxy.cluster.ClusterManager;
import io.meshwork.proxy.cluster.LoadBalancer;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.endpoint.EndpointPool;
import io.meshwork.proxy.endpoint.UpstreamHandler;
import io.meshwork.proxy.endpoint.UpstreamListener;
import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.route.Router;
import io.meshwork.proxy.route.VirtualHost;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies HTTP exchanges of one downstream HTTP/1.1 connection or one HTTP/2 stream: routes each
 * request, takes an upstream channel from the endpoint's pool on the same event loop, and relays
 * both directions message by message. Reads on either side are requested only after the previous
 * write flushed (AUTO_READ off), so bodies stream with bounded memory.
 */
public final class HttpProxyHandler extends ChannelInboundHandlerAdapter implements UpstreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(HttpProxyHandler.class);
    private static final String STREAM_ID = HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text().toString();
    private static final String SCHEME = HttpConversionUtil.ExtensionHeaderNames.SCHEME.text().toString();

    private final ProxyServices services;
    private final ListenerConfig.HttpFilter filter;
    private final boolean http2Downstream;
    private ChannelHandlerContext ctx;

    // State of the exchange in progress; `generation` guards callbacks of an exchange already over.
    private int generation;
    private boolean inExchange;
    private HttpRequest request;
    private boolean keepAlive;
    private boolean head;
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
    private boolean requestDone;
    private long requestBodyBytes;
    private LoadBalancer balancer;
    private EndpointConfig endpoint;
    private EndpointPool pool;
    private Channel upstream;
    private boolean retried;
    private boolean responseStarted;
    private boolean skipInformationalEnd;
    private boolean upstreamKeepAlive;
    private int status;
    private long startNanos;
    private ScheduledFuture<?> timeout;
    /** The in-flight count of the chosen endpoint, decremented when the exchange ends. */
    private AtomicInteger activeCount;
    /** The last response part written but not yet flushed in the current upstream read batch. */
    private ChannelFuture unflushed;

    public HttpProxyHandler(ProxyServices services, ListenerConfig.HttpFilter filter, boolean http2Downstream) {
        this.services = services;
        this.filter = filter;
        this.http2Downstream = http2Downstream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** No exchange in progress (an HTTP/1.1 connection between requests); call on the event loop. */
    public boolean idle() {
        return !inExchange;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent) {
            // h2c upgrade done: the connection now carries HTTP/2 frames, served per stream by child handlers.
            ctx.channel().config().setAutoRead(true);
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            if (inExchange) {
                // A pipelined request while one is in flight: not supported, close cleanly.
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            begin(req);
            return;
        }
        if (msg instanceof HttpContent content) {
            if (inExchange && !requestDone) {
                requestContent(content);
            } else {
                content.release();
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void begin(HttpRequest req) {
        generation++;
        inExchange = true;
        startNanos = System.nanoTime();
        requestDone = false;
        requestBodyBytes = 0;
        retried = false;
        responseStarted = false;
        skipInformationalEnd = false;
        status = 0;
        unflushed = null;
        balancer = null;
        endpoint = null;
        services.drain().begin();
        LastHttpContent body = null;
        if (req instanceof FullHttpRequest full) {
            // Keep headers and body apart: the headers may be resent on a retry, the body is released once.
            body = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            req = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
        }
        request = req;
        keepAlive = http2Downstream || (HttpUtil.isKeepAlive(req) && !services.drain().draining());
        head = HttpMethod.HEAD.equals(req.method());
        if (req.decoderResult().isFailure()) {
            ReferenceCountUtil.release(body);
            requestDone = true;
            keepAlive = false;
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                reply(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers are larger than "
                        + "the sidecar accepts");
            } else if (cause instanceof TooLongHttpLineException || cause instanceof TooLongFrameException) {
                reply(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line is longer than the sidecar accepts");
            } else {
                reply(HttpResponseStatus.BAD_REQUEST, "malformed request: " + cause.getMessage());
            }
            return;
        }
        if (body != null) {
            requestContent(body);
        }
        route();
    }

    private void route() {
        HttpHeaders headers = request.headers();
        String authority = absoluteFormAuthority();
        if (authority == null) {
            authority = headers.get(HttpHeaderNames.HOST);
        }
        if (authority == null || authority.isEmpty()) {
            reply(HttpResponseStatus.BAD_REQUEST, "malformed request: no Host header or :authority");
            return;
        }
        if (!request.uri().startsWith("/") && !request.uri().equals("*")) {
            reply(HttpResponseStatus.BAD_REQUEST, "malformed request: request target \"" + request.uri()
                    + "\" is neither a path nor an absolute URL");
            return;
        }
        ClusterManager.View view = services.clusters().view();
        RouteTable table = filter.inlineRoutes() != null ? filter.inlineRoutes()
                : view.config().routes().get(filter.rdsName());
        if (table == null) {
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no route configuration \"" + filter.rdsName() + "\" yet");
            return;
        }
        VirtualHost vhost = Router.virtualHost(table, authority);
        if (vhost == null) {
            reply(HttpResponseStatus.NOT_FOUND, "no service for host \"" + authority + "\" in the mesh");
            return;
        }
        Route route = Router.route(vhost, request.method().name(), request.uri(), headers);
        if (route == null) {
            reply(HttpResponseStatus.NOT_FOUND, "no route for " + request.method() + " " + request.uri()
                    + " on host \"" + authority + "\"");
            return;
        }
        String clusterName = Router.pickCluster(route);
        balancer = view.balancers().get(clusterName);
        if (balancer == null) {
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no cluster \"" + clusterName + "\" for host \""
                    + authority + "\"");
            return;
        }
        endpoint = balancer.pick();
        if (endpoint == null) {
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream for service "
                    + balancer.cluster().service() + " (cluster " + clusterName + ")");
            return;
        }
        activeCount = balancer.counter(endpoint);
        activeCount.incrementAndGet();
        prepareUpstreamHeaders(headers);
        long timeoutMillis = route.timeout().toMillis();
        if (timeoutMillis > 0) {
            int current = generation;
            timeout = ctx.executor().schedule(() -> timedOut(current, timeoutMillis), timeoutMillis,
                    TimeUnit.MILLISECONDS);
        }
        connect(false);
    }

    /** For {@code GET http://reviews:9080/x}: the authority, with the request target made origin-form. */
    private String absoluteFormAuthority() {
        String uri = request.uri();
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd <= 0 || uri.startsWith("/")) {
            return null;
        }
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return null;
        }
        int start = schemeEnd + 3;
        int end = start;
        while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
            end++;
        }
        String authority = uri.substring(start, end);
        String path = end < uri.length() ? uri.substring(end) : "/";
        if (path.startsWith("?")) {
            path = "/" + path;
        }
        request.setUri(path);
        request.headers().set(HttpHeaderNames.HOST, authority);
        return authority;
    }

    private void prepareUpstreamHeaders(HttpHeaders headers) {
        if (!headers.contains("x-request-id")) {
            headers.set("x-request-id", requestId());
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove("keep-alive");
        headers.remove("proxy-connection");
        headers.remove(HttpHeaderNames.UPGRADE);
        headers.remove(STREAM_ID);
        if (balancer.cluster().http2()) {
            headers.set(SCHEME, "http");
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        } else {
            headers.remove(SCHEME);
            headers.remove(HttpHeaderNames.TE);
            // An HTTP/1.1 request without length has no body; an HTTP/2 stream without one that is still
            // open has a body of unknown length, which goes upstream chunked.
            boolean streamedBody = http2Downstream && !requestDone;
            if (streamedBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                HttpUtil.setTransferEncodingChunked(request, true);
            }
            request.setProtocolVersion(HttpVersion.HTTP_1_1);
        }
    }

    private static String requestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        // A version-4-shaped UUID without SecureRandom: ids need to be unique, not unpredictable.
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    private void connect(boolean fresh) {
        pool = services.pools().pool(ctx.channel().eventLoop(), balancer.cluster(), endpoint.host(), endpoint.port());
        Future<Channel> acquired = pool.acquire(fresh);
        int current = generation;
        EndpointPool from = pool;
        if (acquired.isDone()) {
            acquired(current, from, acquired);
        } else {
            acquired.addListener(f -> acquired(current, from, acquired));
        }
    }

    private void acquired(int forGeneration, EndpointPool from, Future<Channel> acquired) {
        if (forGeneration != generation || !inExchange) {
            if (acquired.isSuccess()) {
                from.release(acquired.getNow(), false);
            }
            return;
        }
        if (!acquired.isSuccess()) {
            if (!retried) {
                retried = true;
                connect(true);
                return;
            }
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream connect error for service "
                    + balancer.cluster().service() + " (" + endpoint.hostPort() + "): "
                    + acquired.cause().getMessage());
            return;
        }
        upstream = acquired.getNow();
        upstream.pipeline().get(UpstreamHandler.class).listener(this);
        ChannelFuture last = upstream.write(request);
        if (retried && requestDone && pending.isEmpty() && requestBodyBytes == 0) {
            last = upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        HttpContent content;
        while ((content = pending.poll()) != null) {
            last = upstream.write(content);
        }
        upstream.flush();
        upstream.read();
        if (!requestDone) {
            last.addListener(readMoreRequest(generation));
        }
    }

    private ChannelFutureListener readMoreRequest(int forGeneration) {
        return f -> {
            if (f.isSuccess() && forGeneration == generation && inExchange && !requestDone) {
                ctx.read();
            }
        };
    }

    private void requestContent(HttpContent content) {
        requestBodyBytes += content.content().readableBytes();
        if (content instanceof LastHttpContent) {
            requestDone = true;
        }
        if (upstream == null) {
            pending.add(content);
            return;
        }
        ChannelFuture written = upstream.writeAndFlush(content);
        if (!requestDone) {
            written.addListener(readMoreRequest(generation));
        }
    }

    @Override
    public void onUpstreamRead(HttpObject msg) {
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code >= 100 && code < 200 && code != 101) {
                // An interim response (100 Continue): the client already got ours; wait for the real one.
                skipInformationalEnd = !(msg instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
                upstream.read();
                return;
            }
            responseStarted = true;
            status = code;
            upstreamKeepAlive = HttpUtil.isKeepAlive(response);
            prepareDownstreamHeaders(response);
        } else if (skipInformationalEnd && msg instanceof LastHttpContent) {
            skipInformationalEnd = false;
            ReferenceCountUtil.release(msg);
            upstream.read();
            return;
        }
        if (!(msg instanceof LastHttpContent)) {
            // Flushed at the end of the upstream read batch: one write syscall for headers and body.
            unflushed = ctx.write(msg);
            return;
        }
        unflushed = null;
        finish(ctx.writeAndFlush(msg));
    }

    @Override
    public void onUpstreamReadComplete() {
        ChannelFuture written = unflushed;
        if (written == null) {
            return;
        }
        unflushed = null;
        ctx.flush();
        // The next upstream read only once this batch is out (backpressure).
        int current = generation;
        Channel from = upstream;
        written.addListener(f -> {
            if (f.isSuccess() && current == generation && upstream == from) {
                from.read();
            }
        });
    }

    private void prepareDownstreamHeaders(HttpResponse response) {
        HttpHeaders headers = response.headers();
        headers.remove(STREAM_ID);
        if (http2Downstream) {
            return;
        }
        headers.remove("keep-alive");
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (response instanceof FullHttpResponse full) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, full.content().readableBytes());
        } else if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH) && !HttpUtil.isTransferEncodingChunked(response)
                && !head && status != 204 && status != 304) {
            // An HTTP/2 (or read-until-close) body has no length: frame it with chunks for HTTP/1.1.
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        headers.set(HttpHeaderNames.CONNECTION, keepAlive && requestDone ? HttpHeaderValues.KEEP_ALIVE
                : HttpHeaderValues.CLOSE);
    }

    private void finish(ChannelFuture written) {
        Channel used = upstream;
        upstream = null;
        if (used != null) {
            pool.release(used, requestDone && upstreamKeepAlive);
        }
        end(written, false);
    }

    /** Common end of an exchange: metrics, counters, and what happens to the downstream connection. */
    private void end(ChannelFuture written, boolean abort) {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        if (activeCount != null) {
            activeCount.decrementAndGet();
            activeCount = null;
        }
        services.metrics().request(balancer == null ? "unknown" : balancer.cluster().service(),
                endpoint == null ? "unknown" : endpoint.workload(),
                endpoint == null ? "unknown" : endpoint.version(), status, System.nanoTime() - startNanos);
        services.drain().end();
        boolean close = abort || !keepAlive || !requestDone;
        inExchange = false;
        generation++;
        HttpContent content;
        while ((content = pending.poll()) != null) {
            content.release();
        }
        if (http2Downstream) {
            if (abort || !requestDone) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        if (close) {
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.read();
        }
    }

    /** The sidecar answers itself (an error of routing or upstream), naming what was wrong. */
    private void reply(HttpResponseStatus replyStatus, String text) {
        if (upstream != null) {
            Channel used = upstream;
            upstream = null;
            pool.release(used, false);
        }
        status = replyStatus.code();
        ByteBuf body = Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, replyStatus,
                head ? Unpooled.EMPTY_BUFFER : body);
        if (head) {
            body.release();
        }
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length() + 1)
                .set("x-meshwork-error", "true");
        if (!http2Downstream) {
            response.headers().set(HttpHeaderNames.CONNECTION, keepAlive && requestDone ? HttpHeaderValues.KEEP_ALIVE
                    : HttpHeaderValues.CLOSE);
        }
        if (status >= 500) {
            LOG.debug("{} {} -> {}: {}", request.method(), request.uri(), status, text);
        }
        end(ctx.writeAndFlush(response), false);
    }

    @Override
    public void onUpstreamClosed() {
        Channel closed = upstream;
        upstream = null;
        if (!inExchange || closed == null) {
            return;
        }
        pool.release(closed, false);
        if (!responseStarted && !retried && requestBodyBytes == 0) {
            // A stale keep-alive connection (or a stream refused) before any byte of response: retry once.
            retried = true;
            connect(true);
            return;
        }
        if (!responseStarted) {
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream connection to service "
                    + balancer.cluster().service() + " (" + endpoint.hostPort() + ") closed before a response");
            return;
        }
        // Mid-response: the client must see the reset, not a truncated success.
        status = status == 0 ? 502 : status;
        end(ctx.newSucceededFuture(), true);
    }

    private void timedOut(int forGeneration, long millis) {
        if (forGeneration != generation || !inExchange) {
            return;
        }
        timeout = null;
        if (!responseStarted) {
            keepAlive = false;
            reply(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream request timeout for service "
                    + balancer.cluster().service() + " after " + millis + " ms");
            return;
        }
        Channel used = upstream;
        upstream = null;
        if (used != null) {
            pool.release(used, false);
        }
        end(ctx.newSucceededFuture(), true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (inExchange) {
            Channel used = upstream;
            upstream = null;
            if (used != null) {
                pool.release(used, false);
            }
            status = status == 0 ? 499 : status;
            end(ctx.newSucceededFuture(), true);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("downstream error, closing: {}", cause.toString());
        ctx.close();
    }
}
