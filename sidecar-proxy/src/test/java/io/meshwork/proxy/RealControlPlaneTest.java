package io.meshwork.proxy;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.trafficSplit;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.GrpcEcho;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.SteadyLoad;
import io.meshwork.proxy.testing.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar driven by the real control plane: YAML in a watched folder, translated by Meshwork's
 * translator, served over ADS; traffic from a client through the sidecar's outbound listener to
 * unmeshed backends on loopback.
 */
class RealControlPlaneTest {

    private static final String REVIEWS = "http://reviews/";

    @TempDir
    Path configDir;
    private MeshConfigFolder config;
    private TestBackend v1a;
    private TestBackend v1b;
    private TestBackend v2;
    private Server grpcBackend;
    private ControlPlane controlPlane;
    private SidecarHarness harness;

    @BeforeEach
    void start() throws Exception {
        v1a = new TestBackend("reviews-v1a");
        v1b = new TestBackend("reviews-v1b");
        v2 = new TestBackend("reviews-v2");
        grpcBackend = GrpcEcho.start();
        config = new MeshConfigFolder(configDir)
                .write("services.yaml",
                        service("reviews", 9080, "http", Map.of("app", "reviews")),
                        service("reviews-v1", 9080, "http", labels("app", "reviews", "version", "v1")),
                        service("reviews-v2", 9080, "http", labels("app", "reviews", "version", "v2")),
                        service("echo", 9090, "grpc", Map.of("app", "echo")))
                .write("workloads.yaml", workloads(true))
                .write("split.yaml", trafficSplit("reviews", "reviews", split(90, 10)));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        harness = new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort());
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        controlPlane.close();
        v1a.close();
        v1b.close();
        v2.close();
        grpcBackend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private String[] workloads(boolean withV1b) {
        List<String> documents = new ArrayList<>();
        documents.add(workload("reviews-v1a", labels("app", "reviews", "version", "v1"), "http", v1a.port()));
        if (withV1b) {
            documents.add(workload("reviews-v1b", labels("app", "reviews", "version", "v1"), "http", v1b.port()));
        }
        documents.add(workload("reviews-v2", labels("app", "reviews", "version", "v2"), "http", v2.port()));
        documents.add(workload("echo-1", Map.of("app", "echo"), "grpc", grpcBackend.getPort()));
        return documents.toArray(String[]::new);
    }

    private static Map<String, String> labels(String... keysAndValues) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            labels.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return labels;
    }

    private static Map<String, Integer> split(int v1, int v2) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        weights.put("reviews-v1", v1);
        weights.put("reviews-v2", v2);
        return weights;
    }

    private static int v1(SteadyLoad load) {
        return load.answeredBy("reviews-v1a") + load.answeredBy("reviews-v1b");
    }

    /**
     * Polls windows of {@code window} further answers until one has v2's share in [min, max]: config
     * pushes are asynchronous, so the first windows after a change may still show the old split.
     */
    private static void awaitV2Share(SteadyLoad load, int window, double min, double max) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        double share = -1;
        while (System.nanoTime() < deadline) {
            int v2Before = load.answeredBy("reviews-v2");
            int allBefore = v2Before + v1(load);
            load.awaitMore(window);
            int all = load.answeredBy("reviews-v2") + v1(load);
            share = (load.answeredBy("reviews-v2") - v2Before) / (double) (all - allBefore);
            if (share >= min && share <= max) {
                return;
            }
        }
        throw new AssertionError("v2's share of " + window + " requests never in [" + min + ", " + max
                + "] within 20 s; last window " + share);
    }

    @Test
    void splitsTrafficAsTheTrafficSplitSaysWithinThreePointsOverTwoThousandRequests() throws Exception {
        // Four clients rather than one: the same 2,000 requests, less wall time on a loaded machine.
        try (SteadyLoad load = new SteadyLoad(harness.client, REVIEWS, 4)) {
            load.awaitMore(2000);
            load.close();
            assertThat(load.failures()).isEmpty();
            double toV2 = load.answeredBy("reviews-v2") / (double) load.ok();
            assertThat(toV2).isBetween(0.07, 0.13);
            assertThat(v1(load) + load.answeredBy("reviews-v2")).isEqualTo(load.ok());
        }
    }

    @Test
    void rewritingTheSplitThenRemovingAWorkloadUnderLoadFailsNoRequestAndMovesTraffic() throws Exception {
        try (SteadyLoad load = new SteadyLoad(harness.client, REVIEWS, 4)) {
            load.awaitMore(300);
            assertThat(load.answeredBy("reviews-v1b")).isPositive();

            config.write("split.yaml", trafficSplit("reviews", "reviews", split(50, 50)));
            awaitV2Share(load, 300, 0.38, 0.62);

            config.write("workloads.yaml", workloads(false));
            Eventually.await(Duration.ofSeconds(20), "a window of 300 requests with none on reviews-v1b",
                    () -> load.noneOfTheNextAnsweredBy("reviews-v1b", 300));
            // Gone from the config, then gone for real: no request may still reach it.
            v1b.close();
            assertThat(load.noneOfTheNextAnsweredBy("reviews-v1b", 300)).isTrue();
            load.close();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    void theControlPlaneClosedAndStartedAgainUnderLoadFailsNoRequestAndItsNextChangeArrives() throws Exception {
        try (SteadyLoad load = new SteadyLoad(harness.client, REVIEWS, 4)) {
            load.awaitMore(200);
            int port = controlPlane.xdsPort();
            controlPlane.close();
            Eventually.await(Duration.ofSeconds(10), "the sidecar to notice the control plane is gone",
                    () -> !harness.sidecar.configStore().controlPlaneConnected());
            load.awaitMore(300);

            controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", port, 0), configDir).start();
            Eventually.await(Duration.ofSeconds(20), "the sidecar back on the restarted control plane",
                    () -> harness.sidecar.configStore().controlPlaneConnected());
            load.awaitMore(200);

            config.write("split.yaml", trafficSplit("reviews", "reviews", split(0, 100)));
            awaitV2Share(load, 200, 1.0, 1.0);
            load.close();
            assertThat(load.failures()).isEmpty();
        }
    }

    private ManagedChannel grpcThroughSidecar() {
        return NettyChannelBuilder.forAddress("127.0.0.1", harness.outboundPort())
                .overrideAuthority("echo:9090").usePlaintext().build();
    }

    @Test
    void aGrpcUnaryCallReachesTheGrpcServiceThroughTheSidecar() throws Exception {
        ManagedChannel channel = grpcThroughSidecar();
        try {
            byte[] reply = ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "mesh".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("hello mesh");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGrpcServerStreamReachesTheClientWholeThroughTheSidecar() throws Exception {
        ManagedChannel channel = grpcThroughSidecar();
        try {
            Iterator<byte[]> replies = ClientCalls.blockingServerStreamingCall(channel, GrpcEcho.SERVER_STREAM,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "100".getBytes(StandardCharsets.UTF_8));
            List<String> received = new ArrayList<>();
            replies.forEachRemaining(reply -> received.add(new String(reply, StandardCharsets.UTF_8)));
            assertThat(received).hasSize(100).startsWith("0", "1").endsWith("99");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
