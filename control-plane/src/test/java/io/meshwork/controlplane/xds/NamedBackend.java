package io.meshwork.controlplane.xds;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** A gRPC backend on loopback whose one method, {@code meshwork.test.Who/Name}, answers with its name. */
public final class NamedBackend implements AutoCloseable {

    static final MethodDescriptor<String, String> NAME = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("meshwork.test.Who/Name")
            .setRequestMarshaller(new Utf8())
            .setResponseMarshaller(new Utf8())
            .build();

    private final Server server;

    public NamedBackend(String name) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("meshwork.test.Who")
                .addMethod(NAME, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(name);
                    response.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    }

    public int port() {
        return server.getPort();
    }

    /** Asks whoever the channel routes to for its name. */
    public static String call(Channel channel) {
        return ClientCalls.blockingUnaryCall(channel, NAME,
                CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(20, TimeUnit.SECONDS), "");
    }

    /** Makes {@code calls} calls and counts those that {@code backend} answered. */
    public static int callsTo(Channel channel, String backend, int calls) {
        int hits = 0;
        for (int i = 0; i < calls; i++) {
            if (call(channel).equals(backend)) {
                hits++;
            }
        }
        return hits;
    }

    /**
     * Calls until {@code streak} calls in a row reach {@code backend}, for at most {@code timeout}.
     *
     * @return the {@link System#nanoTime()} when the first call of that streak was made; empty when the
     *     time ran out first
     */
    public static OptionalLong awaitStreak(Channel channel, String backend, int streak, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int inARow = 0;
        long streakStart = 0;
        while (inARow < streak) {
            if (System.nanoTime() - deadline > 0) {
                return OptionalLong.empty();
            }
            long before = System.nanoTime();
            if (call(channel).equals(backend)) {
                streakStart = inARow == 0 ? before : streakStart;
                inARow++;
            } else {
                inARow = 0;
            }
        }
        return OptionalLong.of(streakStart);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
