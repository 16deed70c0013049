package io.meshwork.samples.echo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The echo server over HTTP/2 prior knowledge (a Netty client) and gRPC (grpc-java with the
 * hand-written descriptors), on the same port as HTTP/1.1.
 */
class EchoServerHttp2Test {

    private EchoServer server;
    private ManagedChannel grpc;

    @AfterEach
    void stop() throws InterruptedException {
        if (grpc != null) {
            grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(EchoConfig config) throws InterruptedException {
        server = EchoServer.start(config);
        grpc = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    private <T> T call(MethodDescriptor<String, String> method, Metadata headers,
            java.util.function.Function<io.grpc.Channel, T> body) {
        return body.apply(ClientInterceptors.intercept(grpc, MetadataUtils.newAttachHeadersInterceptor(headers)));
    }

    private static Metadata metadata(String name, String value) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        return headers;
    }

    @Test
    void http2PriorKnowledgeIsAnsweredOverHttp2() throws Exception {
        start(EchoConfig.of("reviews", "v2", "reviews-v2-1", "127.0.0.1", 0));

        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/prior");
        request.headers().set(HttpHeaderNames.HOST, "reviews");
        String body = priorKnowledgeRequest(server.port(), request);

        assertThat(body).startsWith("{\"service\":\"reviews\",\"version\":\"v2\",\"pod\":\"reviews-v2-1\","
                + "\"protocol\":\"HTTP/2\",\"method\":\"GET\",\"path\":\"/prior\",\"host\":\"reviews\"");
    }

    @Test
    void grpcSayAnswersWithTheInstanceAndTheMessage() throws Exception {
        start(EchoConfig.of("reviews", "v2", "reviews-v2-1", "127.0.0.1", 0));

        String answer = ClientCalls.blockingUnaryCall(grpc, EchoGrpc.SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hello");

        assertThat(answer).startsWith("{\"service\":\"reviews\",\"version\":\"v2\",\"pod\":\"reviews-v2-1\","
                + "\"protocol\":\"gRPC\",\"method\":\"POST\",\"path\":\"/echo.Echo/Say\"")
                .contains("\"message\":\"hello\"");
    }

    @Test
    void grpcStreamSendsTheRequestedNumberOfAnswers() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));

        List<String> answers = call(EchoGrpc.STREAM, metadata("x-echo-count", "5"), channel -> {
            List<String> all = new ArrayList<>();
            Iterator<String> it = ClientCalls.blockingServerStreamingCall(channel, EchoGrpc.STREAM,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "tick");
            it.forEachRemaining(all::add);
            return all;
        });

        assertThat(answers).hasSize(5);
        assertThat(answers.get(4)).contains("\"message\":\"tick\",\"seq\":4");
    }

    @Test
    void grpcInjectedFailureIsUnavailable() throws Exception {
        start(new EchoConfig("reviews", "v3", "reviews-v3-1", "127.0.0.1", 0, Duration.ZERO, 1.0, null, null));

        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(grpc, EchoGrpc.SAY, CallOptions.DEFAULT, "hi"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).isEqualTo("injected failure by reviews-v3-1");
                });
    }

    @Test
    void grpcFailureRateFailsAboutThatShareOfCalls() throws Exception {
        start(new EchoConfig("reviews", "v3", "reviews-v3-1", "127.0.0.1", 0, Duration.ZERO, 0.2, null, null));

        int failures = 0;
        for (int i = 0; i < 1000; i++) {
            try {
                ClientCalls.blockingUnaryCall(grpc, EchoGrpc.SAY, CallOptions.DEFAULT, "hi");
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                failures++;
            }
        }

        // Binomial(1000, 0.2): mean 200, sd 12.6; the bounds are 5 sd away.
        assertThat(failures).isBetween(137, 263);
    }

    @Test
    void grpcFailHeaderFailsTheCall() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));

        assertThatThrownBy(() -> call(EchoGrpc.SAY, metadata("x-echo-fail", "1"),
                channel -> ClientCalls.blockingUnaryCall(channel, EchoGrpc.SAY, CallOptions.DEFAULT, "hi")))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void grpcUnknownMethodIsUnimplemented() throws Exception {
        start(EchoConfig.of("reviews", "v1", "reviews-v1-1", "127.0.0.1", 0));
        MethodDescriptor<String, String> unknown = EchoGrpc.SAY.toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName("echo.Echo", "Shout"))
                .build();

        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(grpc, unknown, CallOptions.DEFAULT, "hi"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
                    assertThat(e.getStatus().getDescription()).contains("/echo.Echo/Shout");
                });
    }

    /** One request on a fresh HTTP/2 prior-knowledge connection; returns the answer's body. */
    private static String priorKnowledgeRequest(int port, FullHttpRequest request) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel connection = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        }
                    })
                    .connect("127.0.0.1", port).sync().channel();
            CompletableFuture<String> body = new CompletableFuture<>();
            Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                    .handler(new ChannelInitializer<Http2StreamChannel>() {
                        @Override
                        protected void initChannel(Http2StreamChannel ch) {
                            ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                                    new HttpObjectAggregator(1 << 20),
                                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                                            body.complete(msg.content().toString(StandardCharsets.UTF_8));
                                        }
                                    });
                        }
                    })
                    .open().sync().getNow();
            request.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "http");
            stream.writeAndFlush(request).sync();
            String answer = body.get(10, TimeUnit.SECONDS);
            connection.close().sync();
            return answer;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
