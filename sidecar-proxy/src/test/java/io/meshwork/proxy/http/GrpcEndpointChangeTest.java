package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.GrpcBytes;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.TestControlPlane;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Endpoint removal under gRPC load: the old HTTP/2 connection drains, no call fails. */
class GrpcEndpointChangeTest {

    private static final MethodDescriptor<byte[], byte[]> WHO =
            GrpcBytes.method("echo.Echo/Who", MethodDescriptor.MethodType.UNARY);

    private static Server backend(String name) throws java.io.IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerServiceDefinition.builder("echo.Echo").addMethod(WHO,
                        ServerCalls.asyncUnaryCall((request, response) -> {
                            response.onNext(name.getBytes(StandardCharsets.UTF_8));
                            response.onCompleted();
                        })).build())
                .build().start();
    }

    private static MeshResources mesh(Server... backends) {
        List<Backend> endpoints = java.util.Arrays.stream(backends)
                .map(server -> Backend.of(server.getPort(), "echo-" + server.getPort(), "v1")).toList();
        return new MeshResources("default").service("echo", 9090, "grpc", endpoints).virtualHost("echo", 9090, List.of());
    }

    @Test
    void removingAGrpcEndpointUnderLoadFailsNoCall() throws Exception {
        Server first = backend("first");
        Server second = backend("second");
        try (TestControlPlane controlPlane = new TestControlPlane().start()) {
            controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh(first, second).snapshot("1"));
            try (SidecarHarness harness = new SidecarHarness(controlPlane)) {
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", harness.outboundPort())
                        .overrideAuthority("echo:9090").usePlaintext().build();
                AtomicBoolean running = new AtomicBoolean(true);
                ConcurrentHashMap<String, AtomicInteger> answers = new ConcurrentHashMap<>();
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                List<Thread> clients = new java.util.ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Thread client = new Thread(() -> {
                        while (running.get()) {
                            try {
                                byte[] who = ClientCalls.blockingUnaryCall(channel, WHO,
                                        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), new byte[0]);
                                answers.computeIfAbsent(new String(who, StandardCharsets.UTF_8),
                                        key -> new AtomicInteger()).incrementAndGet();
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    });
                    clients.add(client);
                    client.start();
                }
                Eventually.await(Duration.ofSeconds(10), "calls on both backends",
                        () -> answers.containsKey("first") && answers.containsKey("second"));

                controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh(second).snapshot("2"));
                String cluster = MeshResources.clusterName("echo", "default", 9090);
                Eventually.await(Duration.ofSeconds(10), "the removal applied", () -> harness.sidecar.configStore()
                        .current().clusters().get(cluster).endpoints().size() == 1);
                int secondBefore = answers.get("second").get();
                Eventually.await(Duration.ofSeconds(10), "more calls", () -> answers.get("second").get() > secondBefore + 200);
                first.shutdown().awaitTermination(5, TimeUnit.SECONDS);
                int firstAfter = answers.get("first").get();
                Eventually.await(Duration.ofSeconds(10), "more calls", () -> answers.get("second").get() > secondBefore + 500);

                running.set(false);
                for (Thread client : clients) {
                    client.join(10_000);
                }
                channel.shutdownNow();
                assertThat(failures).isEmpty();
                assertThat(answers.get("first").get()).isEqualTo(firstAfter);
            }
        } finally {
            first.shutdownNow();
            second.shutdownNow();
        }
    }
}
