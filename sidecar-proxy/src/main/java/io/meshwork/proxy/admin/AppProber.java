package io.meshwork.proxy.admin;

import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.meshwork.proxy.admin.AdminServer.Reply;
import io.meshwork.proxy.listener.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Runs the app's original probes for the kubelet, against 127.0.0.1 on the sidecar's event loops:
 * HTTP GET (200-399 healthy; HTTPS without certificate checks, as the kubelet does), TCP connect,
 * and gRPC {@code grpc.health.v1.Health/Check} (healthy when SERVING). Answers 200 or 503 with a
 * one-line body saying what the app did; 404 for a path no probe was given for.
 */
public final class AppProber {

    private static final String LOOPBACK = "127.0.0.1";
    /**
     * grpc.health.v1.Health/Check without its generated classes: HealthCheckRequest {string service = 1}
     * and HealthCheckResponse {ServingStatus status = 1} have the wire format of StringValue and Int32Value.
     */
    private static final MethodDescriptor<StringValue, Int32Value> HEALTH_CHECK =
            MethodDescriptor.<StringValue, Int32Value>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName("grpc.health.v1.Health/Check")
                    .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(Int32Value.getDefaultInstance()))
                    .build();
    /** grpc.health.v1.HealthCheckResponse.ServingStatus, by number. */
    private static final String[] SERVING_STATUS = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

    private final Transport transport;
    private final AppProbes probes;
    private volatile SslContext insecureTls;

    public AppProber(Transport transport, AppProbes probes) {
        this.transport = transport;
        this.probes = probes;
    }

    /** The reply for an {@code /app-health/...} path (query string already removed). */
    public CompletionStage<Reply> probe(String path) {
        AppProbe probe = probes.byPath().get(path);
        if (probe == null) {
            return CompletableFuture.completedFuture(Reply.text(404, "no app probe at " + path + "; known: "
                    + String.join(" ", probes.byPath().keySet()) + "\n"));
        }
        if (probe instanceof AppProbe.HttpGet http) {
            return http(http);
        }
        return probe instanceof AppProbe.TcpSocket tcp ? tcp(tcp) : grpc((AppProbe.Grpc) probe);
    }

    private static Reply healthy(String what) {
        return Reply.text(200, what + "\n");
    }

    private static Reply unhealthy(String what) {
        return Reply.text(503, what + "\n");
    }

    private Bootstrap bootstrap(AppProbe probe) {
        return new Bootstrap().group(transport.group()).channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) probe.timeout().toMillis());
    }

    /** Completes {@code result} as unhealthy when the probe's timeout passes first, closing its connection. */
    private static void timeout(CompletableFuture<Reply> result, Channel channel, AppProbe probe, String what) {
        var timer = channel.eventLoop().schedule(() -> {
            result.complete(unhealthy(what + ": no answer within " + probe.timeout().toMillis() + " ms"));
            channel.close();
        }, probe.timeout().toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((reply, failure) -> timer.cancel(false));
    }

    private CompletionStage<Reply> tcp(AppProbe.TcpSocket probe) {
        CompletableFuture<Reply> result = new CompletableFuture<>();
        String what = "TCP " + LOOPBACK + ":" + probe.port();
        bootstrap(probe).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
            }
        }).connect(LOOPBACK, probe.port()).addListener((ChannelFuture connected) -> {
            result.complete(connected.isSuccess() ? healthy(what + ": connected")
                    : unhealthy(what + ": " + connected.cause().getMessage()));
            connected.channel().close();
        });
        return result;
    }

    private CompletionStage<Reply> http(AppProbe.HttpGet probe) {
        CompletableFuture<Reply> result = new CompletableFuture<>();
        String what = "GET " + (probe.https() ? "https" : "http") + "://" + LOOPBACK + ":" + probe.port() + probe.path();
        SslContext tls;
        try {
            tls = probe.https() ? insecureTls() : null;
        } catch (SSLException e) {
            return CompletableFuture.completedFuture(unhealthy(what + ": no TLS client: " + e.getMessage()));
        }
        bootstrap(probe).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tls != null) {
                    ch.pipeline().addLast(tls.newHandler(ch.alloc(), LOOPBACK, probe.port()));
                }
                ch.pipeline().addLast(new HttpClientCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
                        if (message instanceof HttpResponse response) {
                            int code = response.status().code();
                            result.complete(code >= 200 && code < 400 ? healthy(what + ": " + code)
                                    : unhealthy(what + ": " + code));
                            ctx.close();
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        result.complete(unhealthy(what + ": " + cause.getMessage()));
                        ctx.close();
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        result.complete(unhealthy(what + ": connection closed before a response"));
                    }
                });
            }
        }).connect(LOOPBACK, probe.port()).addListener((ChannelFuture connected) -> {
            if (!connected.isSuccess()) {
                result.complete(unhealthy(what + ": " + connected.cause().getMessage()));
                return;
            }
            timeout(result, connected.channel(), probe, what);
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, probe.path());
            request.headers()
                    .set(HttpHeaderNames.HOST, probe.host().isEmpty() ? LOOPBACK + ":" + probe.port() : probe.host())
                    .set(HttpHeaderNames.USER_AGENT, "kube-probe/meshwork")
                    .set(HttpHeaderNames.ACCEPT, "*/*")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            // As the kubelet: the probe's own headers win, Host included.
            probe.headers().forEach(request.headers()::set);
            connected.channel().writeAndFlush(request);
        });
        return result;
    }

    private SslContext insecureTls() throws SSLException {
        SslContext context = insecureTls;
        if (context == null) {
            context = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            insecureTls = context;
        }
        return context;
    }

    private CompletionStage<Reply> grpc(AppProbe.Grpc probe) {
        CompletableFuture<Reply> result = new CompletableFuture<>();
        String what = "gRPC health " + LOOPBACK + ":" + probe.port()
                + (probe.service().isEmpty() ? "" : " service " + probe.service());
        // One connection per probe, as the kubelet makes: probes come every few seconds.
        ManagedChannel channel = NettyChannelBuilder.forAddress(LOOPBACK, probe.port())
                .usePlaintext()
                .eventLoopGroup(transport.group())
                .channelType(transport.socketChannel())
                .directExecutor()
                .build();
        result.whenComplete((reply, failure) -> channel.shutdownNow());
        ClientCalls.asyncUnaryCall(channel.newCall(HEALTH_CHECK, CallOptions.DEFAULT
                .withDeadlineAfter(probe.timeout().toMillis(), TimeUnit.MILLISECONDS)), StringValue.of(probe.service()),
                new StreamObserver<>() {
                    @Override
                    public void onNext(Int32Value response) {
                        int number = response.getValue();
                        String status = number >= 0 && number < SERVING_STATUS.length ? SERVING_STATUS[number]
                                : "status " + number;
                        result.complete(status.equals("SERVING") ? healthy(what + ": SERVING")
                                : unhealthy(what + ": " + status));
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status status = Status.fromThrowable(t);
                        result.complete(unhealthy(what + ": " + status.getCode()
                                + (status.getDescription() == null ? "" : " " + status.getDescription())));
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(unhealthy(what + ": no response message"));
                    }
                });
        return result;
    }
}
