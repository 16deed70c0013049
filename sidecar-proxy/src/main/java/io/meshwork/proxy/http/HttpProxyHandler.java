package io.meshwork.proxy.http;

import io.meshwork.proxy.admin.MeshMetrics;
import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.cluster.ClusterManager;
import io.meshwork.proxy.cluster.ClusterResources;
import io.meshwork.proxy.cluster.LoadBalancer;
import io.meshwork.proxy.cluster.Overflow;
import io.meshwork.proxy.endpoint.ConnectionOverflowException;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.endpoint.EndpointPool;
import io.meshwork.proxy.endpoint.UpstreamHandler;
import io.meshwork.proxy.endpoint.UpstreamListener;
import io.meshwork.proxy.listener.HttpConnectionTimeouts;
import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.listener.ProtocolDetector;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.RouteFilters;
import io.meshwork.proxy.route.mirror.RequestMirrors;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.route.StreamDuration;
import io.meshwork.proxy.route.Router;
import io.meshwork.proxy.route.VirtualHost;
import io.meshwork.proxy.route.retry.RetryAttempts;
import io.meshwork.proxy.route.retry.RetryPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.meshwork.proxy.filter.FilterContext;
import io.meshwork.proxy.listener.HttpChainBinding;
import io.meshwork.proxy.filter.LocalReply;
import io.meshwork.proxy.filter.FilterAction;
import io.meshwork.proxy.filter.HttpFilterChain;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
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
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies HTTP exchanges of one downstream HTTP/1.1 connection (a handler of its pipeline) or one HTTP/2
 * stream (which has no channel of its own: {@link Http2StreamDispatcher} calls it), both a
 * {@link Downstream}: routes each request, takes an upstream channel from the endpoint's pool on the same
 * event loop, and relays both directions message by message. With reads on demand (AUTO_READ off; a
 * stream's frames wait for {@link Downstream#read}), either side is read again only while the other side
 * is writable (below its write-buffer high-water mark; a stream: within its flow-control window), so
 * bodies stream with bounded memory. Writes are flushed at the end of the event loop's turn, together
 * with other connections' ({@link LoopFlusher}; an HTTP/2 stream's flush is its connection's), and writes
 * nobody waits for use the void promise: a small exchange costs one write syscall each way and no futures.
 */
public final class HttpProxyHandler extends ChannelInboundHandlerAdapter implements UpstreamListener,
        RetryAttempts.Exchange {

    private static final Logger LOG = LoggerFactory.getLogger(HttpProxyHandler.class);
    private static final AsciiString STREAM_ID = HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text();
    private static final AsciiString SCHEME = HttpConversionUtil.ExtensionHeaderNames.SCHEME.text();
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString FORWARDED_CLIENT_CERT = AsciiString.cached("x-forwarded-client-cert");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString X_MESH_OVERFLOW = AsciiString.cached("x-mesh-overflow");

    private final ProxyServices services;
    private final HttpChainBinding binding;
    /** The connection manager of the request in progress, as its binding resolved it. */
    private ListenerConfig.HttpFilter filter;
    private final boolean http2Downstream;
    /** An HTTP/1.1 connection's context in its pipeline; null for an HTTP/2 stream, which has no channel. */
    private ChannelHandlerContext ctx;
    private Downstream downstream;

    // State of the exchange in progress; `generation` guards callbacks of an exchange already over.
    private int generation;
    private boolean inExchange;
    private HttpRequest request;
    private boolean keepAlive;
    /** The client spoke HTTP/1.0 (the request goes upstream as HTTP/1.1): keep-alive must be said. */
    private boolean http10Client;
    private boolean head;
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
    /** Requests (and their bodies) that arrived while an earlier request of the connection was in flight. */
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    private boolean resuming;
    /** The connection closes once the response written last is out: nothing more is served on it. */
    private boolean closing;
    /**
     * The client half-closed (sent FIN after its requests, as {@code nc -N} does). It is not read again:
     * a read after the input's end fails in Netty's epoll transport, and its exception used to close the
     * connection before the answer (the empty reply nc -N got).
     */
    private boolean inputShutdown;
    /**
     * After a half-close or max_connection_duration: the requests already read are answered, the last
     * answer says {@code Connection: close}, and then the connection closes.
     */
    private boolean closeWhenAnswered;
    /** The connection's timeouts (null in tests that build a pipeline by hand). */
    private HttpConnectionTimeouts connectionTimeouts;
    /** stream_idle_timeout: an exchange with no byte either way for this long ends (0: never). */
    private long connectionStreamIdleNanos;
    /** The exchange's: the connection's, or its route's idle_timeout. */
    private long streamIdleNanos;
    private long lastActivityNanos;
    private boolean requestDone;
    /**
     * An HTTP/1.1 request without body (no length, no chunks): done with its headers, so a local reply
     * can keep the connection; the empty last part Netty's decoder sends after it is skipped.
     */
    private boolean bodyless;
    private boolean skipEmptyLast;
    private long requestBodyBytes;
    private LoadBalancer balancer;
    /** The route's rewriting and the weighted cluster picked: their response headers go on the response. */
    private RouteFilters routeFilters = RouteFilters.NONE;
    private Route.WeightedCluster pickedCluster;
    /** The shadows of the request in progress, fed its body; null when its route mirrors nothing. */
    private RequestMirrors mirrors;
    /** The cluster's circuit breaker counts; {@code holdsRequest} while this exchange counts as one of its requests. */
    private ClusterResources resources;
    private boolean holdsRequest;
    private EndpointConfig endpoint;
    private EndpointPool pool;
    // The pool of the last exchange's endpoint: a keep-alive connection mostly calls the same one.
    private EndpointConfig poolEndpoint;
    private ClusterConfig poolCluster;
    private Channel upstream;
    private boolean retried;
    /** The tries of an exchange whose route has a retry policy (null: one try). */
    private RetryAttempts retry;
    private boolean responseStarted;
    private boolean skipInformationalEnd;
    private boolean upstreamKeepAlive;
    private int status;
    private long startNanos;
    /** The in-flight count of the chosen endpoint, decremented when the exchange ends. */
    private AtomicInteger activeCount;
    /** A response part was written but not yet flushed in the current upstream read batch. */
    private boolean responseUnflushed;
    /** Reading one side waits until the other side's write buffer drains below its low-water mark. */
    private boolean awaitingDownstreamWritable;
    private boolean awaitingUpstreamWritable;
    /** The first request of an HTTP/1.1 connection was seen: an h2c upgrade can no longer come. */
    private boolean pastUpgrade;

    // The request timeout: one timer per connection (HTTP/1.1: its own, re-armed lazily; HTTP/2: the
    // connection's, shared by its streams), instead of a task per request.
    private long deadlineNanos;
    private long timeoutMillis;
    /** The exchange's max_stream_duration or grpc-timeout when it ends it before the route timeout, else NONE. */
    private StreamDuration.Deadline streamDeadline = StreamDuration.Deadline.NONE;
    private final ExchangeAlarm.Streams connectionAlarms;
    private ExchangeAlarm timer;

    // The metric series of the last exchange: consecutive exchanges to one endpoint share it.
    private EndpointConfig seriesEndpoint;
    private int seriesStatus;
    private MeshMetrics.Series series;

    /** An HTTP/1.1 connection's (a handler of its pipeline), with a timer of its own. */
    public HttpProxyHandler(ProxyServices services, HttpChainBinding binding) {
        this(services, binding, false, null);
    }

    private HttpProxyHandler(ProxyServices services, HttpChainBinding binding, boolean http2Downstream,
                             ExchangeAlarm.Streams connectionAlarms) {
        this.services = services;
        this.binding = binding;
        this.http2Downstream = http2Downstream;
        this.connectionAlarms = connectionAlarms;
    }

    /**
     * A stream of an HTTP/2 connection served without a channel of its own: {@code downstream} is the
     * stream, which calls {@link #received}, {@link #downstreamWritable}, {@link #downstreamClosed} and
     * {@link #downstreamFailed}; its timer is one of {@code connectionAlarms} (its connection's).
     */
    public HttpProxyHandler(ProxyServices services, HttpChainBinding binding, Downstream downstream,
                            ExchangeAlarm.Streams connectionAlarms) {
        this(services, binding, true, connectionAlarms);
        attach(downstream);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        attach(new ChannelDownstream(ctx));
    }

    private void attach(Downstream downstream) {
        this.downstream = downstream;
        connectionTimeouts = downstream.connection().pipeline().get(HttpConnectionTimeouts.class);
        connectionStreamIdleNanos = connectionTimeouts == null ? 0
                : connectionTimeouts.policy().streamIdleTimeout().toNanos();
        streamIdleNanos = connectionStreamIdleNanos;
        timer = connectionAlarms != null ? connectionAlarms.newAlarm(this::onTimer)
                : ExchangeAlarm.scheduled(downstream.eventLoop(), this::onTimer);
    }

    /**
     * Ends the connection gracefully (max_connection_duration): what was read is answered, the last
     * answer says {@code Connection: close}; at once when nothing is in progress. Call on the event loop.
     */
    public void closeWhenAnswered() {
        closeWhenAnswered = true;
        if (idle() && !closing) {
            closing = true;
            downstream.close();
        }
    }

    /** No exchange in progress (an HTTP/1.1 connection between requests); call on the event loop. */
    public boolean idle() {
        return !inExchange && pipelined.isEmpty();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        releasePipelined();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent) {
            // h2c upgrade done: the connection now carries HTTP/2 frames, served per stream by child handlers.
            ctx.channel().config().setAutoRead(true);
            ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
            ctx.pipeline().remove(this);
        } else if (evt instanceof ChannelInputShutdownEvent && !http2Downstream) {
            inputShutdown = true;
            closeWhenAnswered();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        received(msg);
    }

    /** A part of the request (of a channel-less stream: from the stream, after {@link Downstream#read}). */
    public void received(Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!pipelined.isEmpty() || (inExchange && msg instanceof HttpRequest)) {
            // HTTP/1.1 pipelining: a request sent before the previous response waits its turn, with its
            // body. Nothing more is read meanwhile (AUTO_READ off), so this holds at most one read's worth.
            pipelined.add(msg);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest req) {
            begin(req);
            return;
        }
        if (msg instanceof HttpContent content) {
            if (skipEmptyLast && content instanceof LastHttpContent) {
                skipEmptyLast = false;
                content.release();
                return;
            }
            if (inExchange && !requestDone) {
                requestContent(content);
            } else {
                content.release();
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    /**
     * After an exchange of a kept-alive HTTP/1.1 connection: the pipelined requests go in order, each
     * once the one before it ended; when none is left, the connection reads again. A loop, not
     * recursion, however many requests answer locally.
     */
    private void resume() {
        if (resuming) {
            return;
        }
        resuming = true;
        try {
            Object msg;
            while ((msg = pipelined.peek()) != null && !(inExchange && msg instanceof HttpRequest)) {
                pipelined.poll();
                dispatch(msg);
                if (closing) {
                    return;
                }
            }
        } finally {
            resuming = false;
        }
        if (pipelined.isEmpty() && !inExchange) {
            if (closeWhenAnswered) {
                // Half-closed or past its duration, and all answered: close once the last answer is out.
                closing = true;
                downstream.writeAndClose(Unpooled.EMPTY_BUFFER); // an HTTP/1.1 connection's (streams never get here)
                return;
            }
            downstream.read();
        }
    }

    private void releasePipelined() {
        Object msg;
        while ((msg = pipelined.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        downstreamWritable();
        ctx.fireChannelWritabilityChanged();
    }

    /** The downstream's writability changed: the upstream is read again if it waited for the client. */
    public void downstreamWritable() {
        if (awaitingDownstreamWritable && downstream.isWritable()) {
            awaitingDownstreamWritable = false;
            if (inExchange && upstream != null) {
                upstream.read();
            }
        }
    }

    private void begin(HttpRequest req) {
        generation++;
        inExchange = true;
        startNanos = System.nanoTime();
        lastActivityNanos = startNanos;
        if (connectionTimeouts != null && !http2Downstream) {
            connectionTimeouts.requestHeadReceived();
        }
        requestDone = false;
        requestBodyBytes = 0;
        streamIdleNanos = connectionStreamIdleNanos;
        retried = false;
        responseStarted = false;
        skipInformationalEnd = false;
        status = 0;
        responseUnflushed = false;
        awaitingDownstreamWritable = false;
        awaitingUpstreamWritable = false;
        balancer = null;
        routeFilters = RouteFilters.NONE;
        pickedCluster = null;
        mirrors = null;
        endpoint = null;
        services.drain().begin();
        LastHttpContent body = null;
        boolean whole = false;
        if (req instanceof FullHttpRequest full) {
            whole = true;
            // Keep headers and body apart: the headers may be resent on a retry, the body is released once.
            if (full.content().isReadable() || !full.trailingHeaders().isEmpty()) {
                body = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            } else {
                full.content().release();
            }
            req = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
            req.setDecoderResult(full.decoderResult());
        }
        request = req;
        if (!pastUpgrade && !http2Downstream) {
            pastUpgrade = true;
            if (ctx.pipeline().get(ProtocolDetector.UPGRADE_HANDLER) != null) {
                dropUpgradeHandler();
            }
        }
        keepAlive = http2Downstream || (HttpUtil.isKeepAlive(req) && !services.drain().draining());
        http10Client = req.protocolVersion() == HttpVersion.HTTP_1_0;
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
        Http1RequestChecks.Refusal refusal = http2Downstream ? null : Http1RequestChecks.check(req);
        if (refusal != null) {
            ReferenceCountUtil.release(body);
            requestDone = true;
            keepAlive = false;
            reply(refusal.status(), "malformed request: " + refusal.reason());
            return;
        }
        // A whole request (an HTTP/2 stream that ended with its headers, or the request Netty's h2c
        // upgrade handler aggregated) without a body; or HTTP/1.1 headers that announce none, whose
        // empty end the decoder hands on next.
        bodyless = whole ? body == null : !http2Downstream && !HttpUtil.isTransferEncodingChunked(req)
                && HttpUtil.getContentLength(req, 0L) == 0L;
        skipEmptyLast = bodyless && !whole;
        requestDone = bodyless;
        if (body != null) {
            requestContent(body);
        }
        filter = binding.resolve(services.clusters().view().config());
        if (binding.removed()) {
            keepAlive = false; // its filter chain is gone from the config: this is the connection's last request
        }
        if (!filter.filters().isEmpty()) {
            LocalReply local = filter.filters().onRequest(request, filterContext());
            if (local != null) {
                localReply(local);
                return;
            }
        }
        route();
    }

    private FilterContext filterContext() {
        return new FilterContext(peerIdentity(), services.tls().ownIdentity(), services.metrics());
    }

    /**
     * The connection manager's route filters (fault injection) from {@code from} on, then the route: each may answer
     * the request or hold it for a while on this event loop (a timer; its body, arriving meanwhile, waits in
     * {@code pending}); a held request whose exchange ended meanwhile (the client went) is dropped.
     */
    private void routeFilters(VirtualHost vhost, Route route, String authority, int from) {
        HttpFilterChain.Step step = filter.filters().onRoute(from, request, vhost, route, filterContext());
        if (step.action() instanceof FilterAction.Reply reply) {
            localReply(reply.reply());
        } else if (step.action() instanceof FilterAction.Delay delay) {
            int exchange = generation;
            downstream.eventLoop().schedule(() -> {
                if (generation != exchange || !inExchange) {
                    return;
                }
                if (delay.then() != null) {
                    localReply(delay.then());
                } else {
                    routeFilters(vhost, route, authority, step.next());
                }
            }, delay.delay().toNanos(), TimeUnit.NANOSECONDS);
        } else {
            forward(route, authority);
        }
    }

    /** A filter's answer: its status, text (or none) and headers. */
    private void localReply(LocalReply local) {
        if (local.headers().isEmpty() && local.body() != null) {
            reply(local.status(), local.body());
            return;
        }
        releaseUpstream(false);
        status = local.status().code();
        FullHttpResponse response = local.body() != null ? errorResponse(local.status(), local.body(), head)
                : new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, local.status(), Unpooled.EMPTY_BUFFER);
        local.headers().forEach(response.headers()::set);
        if (!http2Downstream) {
            if (local.body() == null) {
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            }
            markConnection(response.headers());
        }
        end(response, false);
    }

    /**
     * Clients offer h2c with their first request; after it, the upgrade handler (an aggregator that
     * looks at every request), installed when that request had an Upgrade header, goes, outside the
     * read in progress.
     */
    private void dropUpgradeHandler() {
        ctx.executor().execute(() -> {
            if (ctx.pipeline().get(ProtocolDetector.UPGRADE_HANDLER) != null) {
                ctx.pipeline().remove(ProtocolDetector.UPGRADE_HANDLER);
            }
        });
    }

    private void route() {
        HttpHeaders headers = request.headers();
        String authority = absoluteFormAuthority();
        if (authority == null) {
            authority = headers.get(HttpHeaderNames.HOST);
        }
        if (authority == null || authority.isEmpty()) {
            keepAlive = false; // malformed: the connection ends, as after a request the codec cannot parse
            reply(HttpResponseStatus.BAD_REQUEST, "malformed request: no Host header or :authority");
            return;
        }
        if (!request.uri().startsWith("/") && !request.uri().equals("*")) {
            keepAlive = false;
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
        if (filter.filters().hasRouteFilters()) {
            routeFilters(vhost, route, authority, 0);
            return;
        }
        forward(route, authority);
    }

    /** The request on its route, past the filters: redirected, or sent to a cluster the route picks. */
    private void forward(Route route, String authority) {
        HttpHeaders headers = request.headers();
        ClusterManager.View view = services.clusters().view();
        if (route.redirect() != null) {
            redirect(route.redirect().status(), route.redirect().location(scheme(), authority, request.uri(),
                    route.match()));
            return;
        }
        Route.WeightedCluster picked = Router.pick(route);
        String clusterName = picked.cluster();
        balancer = view.balancers().get(clusterName);
        if (balancer == null) {
            reply(HttpResponseStatus.valueOf(route.clusterNotFoundStatus()), "no cluster \"" + clusterName
                    + "\" for host \"" + authority + "\"");
            return;
        }
        resources = services.clusters().resources(balancer.cluster());
        if (!resources.tryRequest()) {
            overflow(Overflow.MAX_REQUESTS);
            return;
        }
        holdsRequest = true;
        endpoint = balancer.pick();
        if (endpoint == null) {
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream for service "
                    + balancer.cluster().service() + " (cluster " + clusterName + ")");
            return;
        }
        activeCount = balancer.counter(endpoint);
        activeCount.incrementAndGet();
        if (route.idleTimeout() != null) {
            streamIdleNanos = route.idleTimeout().toNanos();
        }
        if (route.retryPolicy() != null) {
            retry = new RetryAttempts(route.retryPolicy(), resources.retries(), balancer.cluster().retryLimit(),
                    downstream.eventLoop(), this);
        }
        routeFilters = route.filters();
        pickedCluster = picked;
        route.filters().onRequest(request, route.match());
        picked.requestHeaders().apply(headers);
        prepareUpstreamHeaders(headers);
        mirrors = RequestMirrors.start(route, request, requestDone && pending.isEmpty(), downstream.eventLoop(),
                services);
        if (mirrors != null) {
            pending.forEach(mirrors::body);
        }
        streamDeadline = route.streamDeadline(headers);
        armTimeout(streamDeadline.millis() > 0 ? streamDeadline.millis() : route.timeout().toMillis());
        startTry();
    }

    /** A try: its per-try timer first, since connecting may fail at once and schedule the retry's backoff. */
    private void startTry() {
        if (retry != null) {
            retry.tryStarted(endpoint);
        }
        connect(false);
    }

    /**
     * A try failed without a response: true when the route's retry policy sends the request again (after the
     * backoff, {@link #retryNow()}); the failed try's late callbacks then find another generation.
     */
    private boolean retryAfter(RetryPolicy.Failure failure) {
        return retry != null && retryScheduled(retry.policy().retries(failure));
    }

    private boolean retryScheduled(boolean retriable) {
        if (!retry.retryAfter(retriable, requestDone, balancer.activeRequests())) {
            return false;
        }
        generation++;
        return true;
    }

    @Override
    public void retryNow() {
        if (!inExchange || retry == null) {
            return;
        }
        EndpointConfig next = retry.pick(balancer);
        if (next == null) {
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream for service "
                    + balancer.cluster().service() + " (cluster " + balancer.cluster().name() + ") to retry on");
            return;
        }
        if (next != endpoint) {
            activeCount.decrementAndGet();
            endpoint = next;
            activeCount = balancer.counter(next);
            activeCount.incrementAndGet();
        }
        retried = false;
        status = 0;
        skipInformationalEnd = false;
        startTry();
    }

    @Override
    public void tryTimedOut() {
        if (!inExchange || responseStarted) {
            return;
        }
        releaseUpstream(false);
        balancer.outcome(endpoint, 504);
        if (retryAfter(RetryPolicy.Failure.PER_TRY_TIMEOUT)) {
            return;
        }
        keepAlive = keepAlive && requestDone;
        reply(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream per-try timeout for service " + balancer.cluster().service()
                + " after " + retry.policy().perTryTimeout().toMillis() + " ms (" + retry.retries() + " retries)");
    }

    /** The SPIFFE ID that this request's connection proved with mutual TLS, or null (plaintext, or outbound). */
    private String peerIdentity() {
        return downstream.connection().attr(io.meshwork.proxy.tls.TlsContexts.PEER_IDENTITY).get();
    }

    /** For {@code GET http://reviews:9080/x}: the authority, with the request target made origin-form. */
    private String absoluteFormAuthority() {
        String uri = request.uri();
        if (uri.startsWith("/")) {
            return null; // origin-form, the usual case: no scan for a scheme
        }
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd <= 0) {
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
        if (!headers.contains(X_REQUEST_ID)) {
            headers.set(X_REQUEST_ID, RequestIds.next());
        }
        // Envoy's forward_client_cert_details as Istio sets it inbound: the identity mTLS verified, and
        // nothing a client wrote itself.
        String peer = peerIdentity();
        if (peer != null) {
            String own = services.tls().ownIdentity();
            headers.set(FORWARDED_CLIENT_CERT, (own == null ? "" : "By=" + own + ";") + "URI=" + peer);
        } else {
            headers.remove(FORWARDED_CLIENT_CERT);
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.UPGRADE);
        headers.remove(STREAM_ID);
        if (balancer.cluster().http2()) {
            headers.set(SCHEME, HTTP);
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

    /**
     * Starts (or keeps) the connection's timer for this exchange's route timeout ({@code millis}, 0: none)
     * and its stream idle timeout.
     */
    private void armTimeout(long millis) {
        timeoutMillis = millis;
        deadlineNanos = millis <= 0 ? 0 : startNanos + TimeUnit.MILLISECONDS.toNanos(millis);
        long first = deadlineNanos;
        if (streamIdleNanos > 0) {
            long idleDeadline = lastActivityNanos + streamIdleNanos;
            first = first == 0 || idleDeadline - first < 0 ? idleDeadline : first;
        }
        if (first == 0) {
            return;
        }
        timer.atMost(first - System.nanoTime());
    }

    /**
     * The timer fired: time out the exchange past its route deadline, end it when idle past the stream
     * idle timeout, or re-arm for the earlier deadline still ahead.
     */
    private void onTimer() {
        if (!inExchange || (deadlineNanos == 0 && streamIdleNanos == 0)) {
            return;
        }
        long now = System.nanoTime();
        if (deadlineNanos != 0 && deadlineNanos - now <= 0) {
            deadlineNanos = 0;
            timedOut();
            return;
        }
        long left = deadlineNanos == 0 ? Long.MAX_VALUE : deadlineNanos - now;
        if (streamIdleNanos > 0) {
            long idleLeft = lastActivityNanos + streamIdleNanos - now;
            if (idleLeft <= 0) {
                streamIdle();
                return;
            }
            left = Math.min(left, idleLeft);
        }
        timer.atMost(left);
    }

    /**
     * No byte either way for stream_idle_timeout: 408 while the request is still coming, 504 while the
     * upstream has not answered (a blackholed backend), the reset once the response has begun.
     */
    private void streamIdle() {
        String idleFor = TimeUnit.NANOSECONDS.toMillis(streamIdleNanos) + " ms (stream_idle_timeout)";
        if (!responseStarted) {
            keepAlive = false;
            if (requestDone) {
                reply(HttpResponseStatus.GATEWAY_TIMEOUT, "no response from service "
                        + balancer.cluster().service() + " for " + idleFor);
            } else {
                reply(HttpResponseStatus.REQUEST_TIMEOUT, "request body idle for " + idleFor);
            }
            return;
        }
        releaseUpstream(false);
        end(null, true);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
        }
    }

    private void connect(boolean fresh) {
        if (pool == null || poolEndpoint != endpoint || poolCluster != balancer.cluster() || pool.draining()) {
            pool = services.pools().pool(downstream.eventLoop(), balancer.cluster(), endpoint);
            poolEndpoint = endpoint;
            poolCluster = balancer.cluster();
        }
        // Waiting for a connection to open makes the request pending (max_pending_requests), until it is open.
        boolean waits = !pool.ready(fresh);
        ClusterResources limits = resources;
        if (waits && !limits.tryPending()) {
            overflow(Overflow.MAX_PENDING_REQUESTS);
            return;
        }
        Future<Channel> acquired = pool.acquire(fresh, limits);
        if (waits) {
            acquired.addListener(f -> limits.pendingDone());
        }
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
            if (acquired.cause() instanceof ConnectionOverflowException) {
                overflow(Overflow.MAX_CONNECTIONS);
                return;
            }
            if (!retried) {
                retried = true;
                connect(true);
                return;
            }
            balancer.outcome(endpoint, 503);
            if (retryAfter(RetryPolicy.Failure.CONNECT_FAILURE)) {
                return;
            }
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream connect error for service "
                    + balancer.cluster().service() + " (" + endpoint.hostPort() + "): "
                    + acquired.cause().getMessage());
            return;
        }
        upstream = acquired.getNow();
        upstream.pipeline().get(UpstreamHandler.class).listener(this);
        boolean policyRetry = retry != null && retry.retries() > 0;
        if (bodyless || ((retried || policyRetry) && requestDone && pending.isEmpty() && requestBodyBytes == 0)) {
            // Headers and end as one message: the encoder makes one buffer of it (an HTTP/2 stream, one frame).
            upstream.write(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE), upstream.voidPromise());
        } else {
            upstream.write(request, upstream.voidPromise());
            if (policyRetry) {
                for (HttpContent part : retry.body().replay()) {
                    upstream.write(part, upstream.voidPromise());
                }
            }
        }
        HttpContent content;
        while ((content = pending.poll()) != null) {
            writeBody(content);
        }
        flushUpstream();
        upstream.read();
        readMoreRequest();
    }

    /** Sends a part of the request body upstream, keeping a view of it first when the request may be retried. */
    private void writeBody(HttpContent content) {
        if (retry != null) {
            retry.body().keep(content);
        }
        upstream.write(content, upstream.voidPromise());
    }

    /**
     * Flushes the response written so far at the end of this event-loop turn ({@link LoopFlusher}); for
     * an HTTP/2 stream that flushes its connection, so the frames of all its streams answered in one
     * turn go out in one write.
     */
    private void flushDownstream() {
        downstream.flushLater();
    }

    /** Flushes upstream writes at the end of this event-loop turn, after the read batch in progress. */
    private void flushUpstream() {
        LoopFlusher.flushLater(upstream);
    }

    /** Asks for more of the request body while the upstream can take it; else once it drains. */
    private void readMoreRequest() {
        if (requestDone) {
            if (!http2Downstream && pipelined.isEmpty() && !inputShutdown) {
                // Keep the connection's read armed while the response comes: the next request or the
                // client's close is seen, and Netty does not clear and set EPOLLIN (two epoll_ctl
                // calls) around every exchange. A request read meanwhile waits in `pipelined`.
                downstream.read();
            }
            return;
        }
        if (inputShutdown) {
            return; // the client's FIN came: the codec has ended the body (complete or cut short)
        }
        if (upstream.isWritable()) {
            downstream.read();
        } else {
            awaitingUpstreamWritable = true;
        }
    }

    @Override
    public void onUpstreamWritable() {
        if (awaitingUpstreamWritable && inExchange && !requestDone && !inputShutdown) {
            awaitingUpstreamWritable = false;
            downstream.read();
        }
    }

    private void requestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            malformedRequestBody(content);
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        lastActivityNanos = System.nanoTime();
        if (content instanceof LastHttpContent) {
            requestDone = true;
        }
        if (mirrors != null) {
            mirrors.body(content);
        }
        if (upstream == null) {
            pending.add(content);
            return;
        }
        writeBody(content);
        flushUpstream();
        readMoreRequest();
    }

    /**
     * The request body's framing is broken (a malformed chunk size, no CRLF after a chunk): the
     * upstream must never see the request as complete, so its connection is dropped before the end;
     * the client gets 400 (or, once the response began, the reset), and its connection closes, since
     * nothing after the error can be framed.
     */
    private void malformedRequestBody(HttpContent content) {
        Throwable cause = content.decoderResult().cause();
        content.release();
        keepAlive = false;
        if (!responseStarted) {
            reply(HttpResponseStatus.BAD_REQUEST, "malformed request body: " + cause.getMessage());
            return;
        }
        releaseUpstream(false);
        status = 400;
        end(null, true);
    }

    @Override
    public void onUpstreamRead(HttpObject msg) {
        lastActivityNanos = System.nanoTime();
        if (msg.decoderResult().isFailure()) {
            malformedResponse(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code >= 100 && code < 200 && code != 101) {
                // An interim response (100 Continue): the client already got ours; wait for the real one.
                skipInformationalEnd = !(msg instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
                upstream.read();
                return;
            }
            balancer.outcome(endpoint, code);
            if (retry != null && retryScheduled(retry.policy().retries(code, response.headers()))) {
                // Not for the client: a whole response leaves its connection reusable, else the rest is not read.
                boolean reusable = msg instanceof LastHttpContent && requestDone && HttpUtil.isKeepAlive(response);
                ReferenceCountUtil.release(msg);
                releaseUpstream(reusable);
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
            downstream.write(msg);
            responseUnflushed = true;
            return;
        }
        responseUnflushed = false;
        finish(msg);
    }

    /**
     * The upstream's response could not be parsed: 502 before any of it reached the client (as Envoy
     * answers a protocol error), else the client sees the reset rather than a truncated response. The
     * connection is not reused.
     */
    private void malformedResponse(HttpObject msg) {
        Throwable cause = msg.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        if (!responseStarted) {
            reply(HttpResponseStatus.BAD_GATEWAY, "malformed response from service "
                    + balancer.cluster().service() + " (" + endpoint.hostPort() + "): " + cause.getMessage());
            return;
        }
        releaseUpstream(false);
        status = 502;
        end(null, true);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!responseUnflushed) {
            return;
        }
        responseUnflushed = false;
        flushDownstream();
        // The next upstream read only while the client keeps up (backpressure).
        if (downstream.isWritable()) {
            upstream.read();
        } else {
            awaitingDownstreamWritable = true;
        }
    }

    private void prepareDownstreamHeaders(HttpResponse response) {
        HttpHeaders headers = response.headers();
        headers.remove(STREAM_ID);
        pickedCluster.responseHeaders().apply(headers);
        routeFilters.responseHeaders().apply(headers);
        if (http2Downstream) {
            return;
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        // A HEAD's answer, a 204 and a 304 have no body; their Content-Length (if any) is passed as it came.
        boolean needsFraming = !head && status != 204 && status != 304
                && !headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (response instanceof FullHttpResponse full) {
            // A whole response (from HTTP/2, or an HTTP/1.1 one read at once): its length is known.
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (needsFraming) {
                headers.setInt(HttpHeaderNames.CONTENT_LENGTH, full.content().readableBytes());
            }
        } else if (needsFraming && !HttpUtil.isTransferEncodingChunked(response)) {
            // An HTTP/2 (or read-until-close) body has no length: frame it with chunks for HTTP/1.1.
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        markConnection(headers);
    }

    /**
     * The downstream connection's own Connection header (the upstream's is hop-by-hop): close when
     * this response ends the connection; keep-alive only to an HTTP/1.0 client, for which it is not
     * the default; none otherwise, as Envoy and HAProxy answer HTTP/1.1 clients.
     */
    private void markConnection(HttpHeaders headers) {
        if (!keepAlive || !requestDone || lastOfConnection()) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            headers.remove(HttpHeaderNames.CONNECTION);
        }
    }

    /** This exchange is the last of a connection that closes when answered: nothing read comes after it. */
    private boolean lastOfConnection() {
        return closeWhenAnswered && pipelined.isEmpty();
    }

    private void finish(Object last) {
        releaseUpstream(requestDone && upstreamKeepAlive);
        end(last, false);
    }

    /** Gives the exchange's upstream connection (if any) back to its pool, for reuse or to be closed. */
    private void releaseUpstream(boolean reusable) {
        Channel used = upstream;
        upstream = null;
        if (used != null) {
            pool.release(used, reusable);
        }
    }

    /**
     * Common end of an exchange: metrics, counters, the last part of the response (null when none
     * is to be written), and what happens to the downstream connection.
     */
    private void end(Object last, boolean abort) {
        deadlineNanos = 0;
        if (retry != null) {
            retry.close();
            retry = null;
        }
        if (activeCount != null) {
            activeCount.decrementAndGet();
            activeCount = null;
        }
        if (holdsRequest) {
            resources.requestDone();
            holdsRequest = false;
        }
        recordMetrics(System.nanoTime() - startNanos);
        services.drain().end();
        if (connectionTimeouts != null && !http2Downstream) {
            connectionTimeouts.exchangeEnded();
        }
        // An HTTP/2 stream closes only when cut short; an HTTP/1.1 connection also when not kept alive.
        boolean close = abort || !requestDone || (!http2Downstream && (!keepAlive || lastOfConnection()));
        inExchange = false;
        generation++;
        HttpContent content;
        while ((content = pending.poll()) != null) {
            content.release();
        }
        if (close) {
            closing = true;
            releasePipelined();
            if (last == null) {
                downstream.close();
            } else {
                downstream.writeAndClose(last);
            }
            return;
        }
        if (last != null) {
            downstream.write(last);
            flushDownstream();
        }
        if (!http2Downstream) {
            resume();
        }
    }

    private void recordMetrics(long nanos) {
        if (endpoint == null) {
            services.metrics().request(balancer == null ? "unknown" : balancer.cluster().service(), "unknown",
                    "unknown", status, nanos);
            return;
        }
        if (series == null || seriesEndpoint != endpoint || seriesStatus != status) {
            series = services.metrics().series(balancer.cluster().service(), endpoint.workload(), endpoint.version(),
                    status);
            seriesEndpoint = endpoint;
            seriesStatus = status;
        }
        series.record(nanos);
    }

    /**
     * The sidecar's own answer: {@code text} and a newline as UTF-8 plain text (none for a HEAD, with
     * the length it would have), marked {@code x-meshwork-error}.
     */
    private static FullHttpResponse errorResponse(HttpResponseStatus replyStatus, String text, boolean head) {
        ByteBuf body = Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
        int length = body.readableBytes();
        if (head) {
            body.release();
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, replyStatus,
                head ? Unpooled.EMPTY_BUFFER : body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, length)
                .set("x-meshwork-error", "true");
        return response;
    }

    /** A route's redirect: {@code code} with the Location and no body. */
    private void redirect(int code, String location) {
        releaseUpstream(false);
        status = code;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
                Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.LOCATION, location).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        if (!http2Downstream) {
            markConnection(response.headers());
        }
        end(response, false);
    }

    /** The scheme the client used: an HTTP/2 request's {@code :scheme}, else {@code https} over TLS (a gateway's). */
    private String scheme() {
        String scheme = request.headers().get(SCHEME);
        return scheme != null ? scheme
                : downstream.connection().pipeline().get(io.netty.handler.ssl.SslHandler.class) != null ? "https" : "http";
    }

    /** A circuit breaker limit of the cluster is reached: 503 at once, {@code x-mesh-overflow} naming the limit. */
    private void overflow(Overflow limit) {
        reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream overflow: cluster " + balancer.cluster().name()
                + " is at its " + limit.limit() + " (" + balancer.cluster().service() + ")", limit);
    }

    private void reply(HttpResponseStatus replyStatus, String text) {
        // A failed try that the retry limit kept from being retried says so, as an overflow does.
        reply(replyStatus, text, retry != null && retry.refusedByLimit() ? Overflow.MAX_RETRIES : null);
    }

    private void reply(HttpResponseStatus replyStatus, String text, Overflow overflow) {
        FullHttpResponse response = errorResponse(replyStatus, text, head);
        if (overflow != null) {
            response.headers().set(X_MESH_OVERFLOW, overflow.limit());
        }
        if (replyStatus.code() >= 500) {
            LOG.debug("{} {} -> {}: {}", request.method(), request.uri(), replyStatus.code(), text);
        }
        reply(response, replyStatus.code());
    }

    /** The sidecar's own answer {@code response}, counted as {@code code}. */
    private void reply(FullHttpResponse response, int code) {
        releaseUpstream(false);
        status = code;
        if (!http2Downstream) {
            markConnection(response.headers());
        }
        end(response, false);
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
            balancer.outcome(endpoint, 503);
            if (retryAfter(RetryPolicy.Failure.RESET)) {
                return;
            }
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream connection to service "
                    + balancer.cluster().service() + " (" + endpoint.hostPort() + ") closed before a response");
            return;
        }
        // Mid-response: the client must see the reset, not a truncated success, and so must the metrics.
        status = 502;
        end(null, true);
    }

    private void timedOut() {
        if (!responseStarted && streamDeadline.millis() > 0) {
            keepAlive = false;
            // Counted as the timeout it is (504); the client gets grpc-status 4, or 408.
            reply(StreamDuration.exceeded(request.headers(), streamDeadline), 504);
            return;
        }
        if (!responseStarted) {
            keepAlive = false;
            reply(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream request timeout for service "
                    + balancer.cluster().service() + " after " + timeoutMillis + " ms");
            return;
        }
        releaseUpstream(false);
        end(null, true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        downstreamClosed();
        ctx.fireChannelInactive();
    }

    /** The downstream connection or stream closed (reset, or ended by the sidecar): the exchange in progress ends. */
    public void downstreamClosed() {
        cancelTimer();
        if (inExchange) {
            releaseUpstream(false);
            status = status == 0 ? 499 : status;
            end(null, true);
        }
        releasePipelined();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        downstreamFailed(cause);
    }

    /** An error on the downstream (of a stream: its request could not be decoded): 400 or close. */
    public void downstreamFailed(Throwable cause) {
        if (http2Downstream && !inExchange && !closing && cause instanceof DecoderException
                && cause.getCause() instanceof Http2Exception.StreamException malformed) {
            // A stream whose headers Netty could not make a request of (such as an :authority and a host
            // that differ): 400 naming the problem on that stream, as for a malformed HTTP/1.1 request.
            closing = true;
            downstream.writeAndClose(errorResponse(HttpResponseStatus.BAD_REQUEST,
                    "malformed request: " + malformed.getMessage(), false));
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("downstream error, closing: {}", cause.toString());
        }
        downstream.close();
    }
}
