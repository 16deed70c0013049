package io.meshwork.proxy.route;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.GrpcEcho;
import io.meshwork.proxy.testing.Http2TestClient;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.testing.SidecarHarness;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC deadlines through the sidecar: a MeshTimeout on a grpc port becomes the route's max_stream_duration with
 * grpc_timeout_header_max (the real control plane over ADS); the sidecar bounds each call by the smaller of its
 * grpc-timeout and that maximum and answers a missed deadline as Envoy does, grpc-status 4 (DEADLINE_EXCEEDED), to a
 * grpc-java server that never answers.
 */
class GrpcDeadlineTest {

    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(1500);

    private static Path configDir;
    private static Server silent;
    private static final AtomicInteger cancelled = new AtomicInteger();
    private static ControlPlane controlPlane;
    private static SidecarHarness harness;

    @BeforeAll
    static void start() throws Exception {
        configDir = Files.createTempDirectory("grpc-deadline");
        // Say never answers: the call ends only by a deadline, which the server sees as a cancellation.
        silent = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(
                ServerServiceDefinition.builder("echo.Echo").addMethod(GrpcEcho.UNARY,
                        ServerCalls.asyncUnaryCall((request, response) -> ((ServerCallStreamObserver<byte[]>) response)
                                .setOnCancelHandler(cancelled::incrementAndGet))).build()).build().start();
        new MeshConfigFolder(configDir).write("mesh.yaml", service("ledger", 9090, "grpc", Map.of("app", "ledger")),
                workload("ledger-0", Map.of("app", "ledger"), "grpc", silent.getPort()))
                .write("policies.yaml", PayMesh.policy("MeshTimeout", "{kind: Service, name: ledger}",
                        "request: " + REQUEST_TIMEOUT.toMillis() + "ms\n"));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        harness = new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort());
        // until the sidecar has ledger's route and endpoint: a call it ends by its grpc-timeout (not a 503 for no route)
        Eventually.await(Duration.ofSeconds(20), "the sidecar routing ledger", () -> {
            try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
                return client.exchange(Http2TestClient.requestHeaders("POST", "ledger:9090", "/echo.Echo/Say")
                        .add(new DefaultHttp2Headers().add("content-type", "application/grpc").add("te", "trailers")
                                .add("grpc-timeout", "20m")), "\0\0\0\0\1x", true).status() == 200;
            } catch (Exception notYet) {
                return false;
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (harness != null) {
            harness.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        silent.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void aGrpcTimeoutShorterThanTheRoutesEndsTheCallWithDeadlineExceededAndCancelsIt() throws Exception {
        int cancelledBefore = cancelled.get();
        try (Http2TestClient client = Http2TestClient.priorKnowledge(harness.outboundPort())) {
            long start = System.nanoTime();
            // No deadline of its own: only the sidecar can end this call, by the grpc-timeout it sends (200 ms).
            Http2TestClient.Response response = client.exchange(Http2TestClient.requestHeaders("POST", "ledger:9090",
                    "/echo.Echo/Say").add(new DefaultHttp2Headers().add("content-type", "application/grpc")
                    .add("te", "trailers").add("grpc-timeout", "200m")), "\0\0\0\0\1x", true);
            long millis = (System.nanoTime() - start) / 1_000_000;

            System.out.printf("grpc-timeout 200m under a %d ms route maximum: ended after %d ms, %s%n",
                    REQUEST_TIMEOUT.toMillis(), millis, response.headers());
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("grpc-status")).hasToString("4");
            assertThat(response.headers().get("grpc-message").toString()).contains("grpc-timeout 200 ms");
            assertThat(millis).as("ended by its grpc-timeout, before the route's maximum").isLessThan(
                    REQUEST_TIMEOUT.toMillis());
        }
        Eventually.await(Duration.ofSeconds(5), "the server's call cancelled", () -> cancelled.get() > cancelledBefore);
    }

    @Test
    void aLongerGrpcJavaDeadlineIsCutAtTheRoutesMaximumWithDeadlineExceeded() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", harness.outboundPort())
                .overrideAuthority("ledger:9090").usePlaintext().build();
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), new byte[] {1}))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        System.out.printf("grpc-java deadline 30 s under a %d ms route maximum: %s after %d ms%n",
                                REQUEST_TIMEOUT.toMillis(), e.getStatus(), (System.nanoTime() - start) / 1_000_000);
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                        assertThat(e.getStatus().getDescription()).as("the sidecar's answer, not grpc-java's own")
                                .contains("route maximum " + REQUEST_TIMEOUT.toMillis() + " ms");
                    });
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
