package io.meshwork.injector;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
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
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating admission webhook: HTTPS (TLS 1.2+) on port 15017, {@code POST /inject} for
 * AdmissionReviews, {@code GET /healthz} for the kubelet. Bodies above {@link #MAX_BODY_BYTES}
 * are refused with 413 as soon as their headers arrive.
 */
public final class WebhookServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);
    /**
     * The API server accepts a write body of up to 3 MiB (k8s.io/apiserver {@code server.NewConfig}:
     * {@code MaxRequestBodyBytes: int64(3 * 1024 * 1024)}, twice etcd's recommended 1.5 MiB because JSON
     * is larger than the protobuf stored). The AdmissionReview it sends holds that object, re-encoded as
     * JSON after defaulting and earlier webhooks, and for an UPDATE the old object as well, in a wrapper
     * (userInfo, options): two objects of 3 MiB and 1 MiB for the rest. A cap below that would make the
     * webhook fail a Pod the API server itself accepted.
     */
    public static final int MAX_BODY_BYTES = 2 * 3 * 1024 * 1024 + 1024 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;

    private WebhookServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /** Binds and starts serving; logs one line when ready. */
    public static WebhookServer start(InetSocketAddress bindAddress, Path certificateFile, Path keyFile,
            AdmissionReviewHandler handler) throws InterruptedException {
        ServingCertificate certificate = new ServingCertificate(certificateFile, keyFile);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline()
                                    .addLast(certificate.current().newHandler(ch.alloc()))
                                    .addLast(new ReadTimeoutHandler(30))
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpServerKeepAliveHandler())
                                    .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                                    .addLast(new RequestHandler(handler));
                        }
                    })
                    .bind(bindAddress).sync().channel();
            WebhookServer server = new WebhookServer(group, channel);
            LOG.info("Meshwork injector webhook ready on https://{}:{}/inject (certificate {})",
                    server.address().getHostString(), server.address().getPort(), certificateFile);
            return server;
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Blocks until the server is closed. */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Routes one aggregated request. */
    private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final AdmissionReviewHandler handler;

        RequestHandler(AdmissionReviewHandler handler) {
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "text/plain",
                        bytes("bad HTTP request: " + request.decoderResult().cause().getMessage() + "\n"));
                return;
            }
            String path = new QueryStringDecoder(request.uri()).path();
            if (path.equals("/inject")) {
                if (!request.method().equals(HttpMethod.POST)) {
                    respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain",
                            bytes("/inject takes POST with an AdmissionReview\n"));
                    return;
                }
                AdmissionReviewHandler.Answer answer = handler.handle(ByteBufUtil.getBytes(request.content()));
                respond(ctx, request, HttpResponseStatus.valueOf(answer.status()), "application/json", answer.body());
            } else if (path.equals("/healthz") || path.equals("/ready")) {
                respond(ctx, request, HttpResponseStatus.OK, "text/plain", bytes("ok\n"));
            } else {
                respond(ctx, request, HttpResponseStatus.NOT_FOUND, "text/plain",
                        bytes("no such path " + path + "; the webhook serves POST /inject\n"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Handshake failures and resets are the client's business; say it once at debug level.
            LOG.debug("webhook connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                String contentType, byte[] body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.wrappedBuffer(body));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (request.decoderResult().isFailure()) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(response);
            }
        }

        private static byte[] bytes(String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }
}
