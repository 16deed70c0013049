package io.meshwork.proxy.testing;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A gRPC backend on loopback, {@code echo.Echo}: {@code Say} answers "hello &lt;text&gt;" (NOT_FOUND for
 * "fail"), {@code Chat} echoes each message, {@code Count} streams 0..n-1.
 */
public final class GrpcEcho {

    public static final MethodDescriptor<byte[], byte[]> UNARY =
            GrpcBytes.method("echo.Echo/Say", MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<byte[], byte[]> BIDI =
            GrpcBytes.method("echo.Echo/Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    public static final MethodDescriptor<byte[], byte[]> SERVER_STREAM =
            GrpcBytes.method("echo.Echo/Count", MethodDescriptor.MethodType.SERVER_STREAMING);

    private GrpcEcho() {
    }

    public static Server start() throws IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service()).build().start();
    }

    /** The {@code echo.Echo} service, for servers built elsewhere (grpc-java's XdsServerBuilder). */
    public static ServerServiceDefinition service() {
        return ServerServiceDefinition.builder("echo.Echo")
                        .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
                            String text = new String(request, StandardCharsets.UTF_8);
                            if (text.equals("fail")) {
                                response.onError(Status.NOT_FOUND.withDescription("no such greeting").asException());
                                return;
                            }
                            response.onNext(("hello " + text).getBytes(StandardCharsets.UTF_8));
                            response.onCompleted();
                        }))
                        .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall(response -> new StreamObserver<byte[]>() {
                            @Override
                            public void onNext(byte[] value) {
                                response.onNext(("echo " + new String(value, StandardCharsets.UTF_8))
                                        .getBytes(StandardCharsets.UTF_8));
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                response.onCompleted();
                            }
                        }))
                        .addMethod(SERVER_STREAM, ServerCalls.asyncServerStreamingCall((request, response) -> {
                            int n = Integer.parseInt(new String(request, StandardCharsets.UTF_8));
                            for (int i = 0; i < n; i++) {
                                response.onNext(Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                            }
                            response.onCompleted();
                        }))
                        .build();
    }
}
