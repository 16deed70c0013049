package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.Value;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client honours a MeshCircuitBreaker's {@code maxRequests} (gRFC A32): the real local mode
 * translates the YAML into the cluster's {@code circuit_breakers}, and a proxyless channel with as many calls in flight
 * as the limit fails the next one itself with UNAVAILABLE, without sending it, against a server that holds calls.
 */
class GrpcCircuitBreakerInteropTest {

    private static final int MAX_REQUESTS = 3;

    @TempDir
    static Path config;
    private static final AtomicInteger calls = new AtomicInteger();
    private static final CountDownLatch release = new CountDownLatch(1);
    private static ProxylessPay mesh;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        // Every call is held until the test releases them all.
        mesh = new ProxylessPay(config, (request, response) -> {
            calls.incrementAndGet();
            new Thread(() -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                response.onNext("pay");
                response.onCompleted();
            }).start();
        }, """
                apiVersion: meshwork.io/v1alpha1
                kind: MeshCircuitBreaker
                metadata: {name: pay}
                spec:
                  targetRef: {kind: Service, name: pay}
                  maxRequests: %d
                """.formatted(MAX_REQUESTS));
        channel = mesh.channel;
    }

    @AfterAll
    static void stop() throws Exception {
        release.countDown();
        mesh.close();
    }

    private static ListenableFuture<String> startCall() {
        return ClientCalls.futureUnaryCall(channel.newCall(NamedBackend.NAME,
                CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(20, TimeUnit.SECONDS)), "");
    }

    @Test
    void withMaxRequestsCallsInFlightGrpcJavaFailsTheNextCallUnavailable() throws Exception {
        List<ListenableFuture<String>> held = new ArrayList<>();
        for (int i = 0; i < MAX_REQUESTS; i++) {
            held.add(startCall());
        }
        Eventually.await(Duration.ofSeconds(15), MAX_REQUESTS + " calls held at the server",
                () -> calls.get() == MAX_REQUESTS);

        StatusRuntimeException refused = null;
        try {
            startCall().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            refused = (StatusRuntimeException) e.getCause();
        }

        assertThat(refused).as("the call past max_requests").isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        System.out.println("grpc-java past max_requests " + MAX_REQUESTS + ": " + refused.getStatus());
        assertThat(calls.get()).as("the refused call never reached the server").isEqualTo(MAX_REQUESTS);
        release.countDown();
        for (ListenableFuture<String> call : held) {
            assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("pay");
        }
        assertThat(startCall().get(10, TimeUnit.SECONDS)).as("below the limit again").isEqualTo("pay");
        assertThat(mesh.admin.proxies().get(0).getFieldsOrThrow("lastNack").getKindCase())
                .isEqualTo(Value.KindCase.NULL_VALUE);
    }
}
