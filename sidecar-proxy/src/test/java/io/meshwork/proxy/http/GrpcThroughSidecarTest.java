package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.meshwork.proxy.testing.GrpcEcho;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestControlPlane;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** gRPC through the sidecar (HTTP/2 prior knowledge in, one HTTP/2 connection out), trailers included. */
class GrpcThroughSidecarTest {

    private static final MethodDescriptor<byte[], byte[]> UNARY = GrpcEcho.UNARY;
    private static final MethodDescriptor<byte[], byte[]> BIDI = GrpcEcho.BIDI;
    private static final MethodDescriptor<byte[], byte[]> SERVER_STREAM = GrpcEcho.SERVER_STREAM;

    private static TestControlPlane controlPlane;
    private static Server backend;
    private static SidecarHarness harness;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        backend = GrpcEcho.start();
        controlPlane = new TestControlPlane().start();
        MeshResources mesh = new MeshResources("default")
                .service("echo", 9090, "grpc", List.of(Backend.of(backend.getPort(), "echo-v1", "v1")))
                .virtualHost("echo", 9090, List.of());
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh.snapshot("1"));
        harness = new SidecarHarness(controlPlane);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", harness.outboundPort())
                .overrideAuthority("echo:9090").usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        harness.close();
        backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controlPlane.close();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void unaryCallsGoThroughTheSidecar() {
        for (int i = 0; i < 50; i++) {
            byte[] reply = ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), utf8("mesh " + i));
            assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("hello mesh " + i);
        }
    }

    @Test
    void anErrorStatusInTrailersReachesTheClient() {
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), utf8("fail")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no such greeting");
                });
    }

    @Test
    void serverStreamingDeliversEveryMessageThenTheStatus() {
        Iterator<byte[]> replies = ClientCalls.blockingServerStreamingCall(channel, SERVER_STREAM, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                utf8("500"));
        int count = 0;
        while (replies.hasNext()) {
            assertThat(new String(replies.next(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(count));
            count++;
        }
        assertThat(count).isEqualTo(500);
    }

    @Test
    void anHttp11ClientReachesAnHttp2UpstreamWithTrailersChunked() throws Exception {
        byte[] message = utf8("h1");
        byte[] frame = new byte[5 + message.length];
        frame[4] = (byte) message.length;
        System.arraycopy(message, 0, frame, 5, message.length);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", harness.outboundPort())) {
            socket.setSoTimeout(5000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /echo.Echo/Say HTTP/1.1\r\nHost: echo:9090\r\ncontent-type: application/grpc\r\n"
                    + "te: trailers\r\ncontent-length: " + frame.length + "\r\nconnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(frame);
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked")
                    .contains("hello h1").contains("grpc-status: 0");
        }
    }

    @Test
    void bidiStreamingInterleavesBothDirections() throws Exception {
        List<String> received = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
                channel.newCall(BIDI, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)), new StreamObserver<byte[]>() {
                    @Override
                    public void onNext(byte[] value) {
                        synchronized (received) {
                            received.add(new String(value, StandardCharsets.UTF_8));
                            received.notifyAll();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        for (int i = 0; i < 5; i++) {
            requests.onNext(utf8("m" + i));
            // Each answer arrives before the next message is sent: the stream is not buffered whole.
            synchronized (received) {
                long deadline = System.currentTimeMillis() + 5000;
                while (received.size() <= i && System.currentTimeMillis() < deadline) {
                    received.wait(100);
                }
            }
            assertThat(received).hasSize(i + 1);
        }
        requests.onCompleted();
        done.get(5, TimeUnit.SECONDS);
        assertThat(received).containsExactly("echo m0", "echo m1", "echo m2", "echo m3", "echo m4");
    }
}
