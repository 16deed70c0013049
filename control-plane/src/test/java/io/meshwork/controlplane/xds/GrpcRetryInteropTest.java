package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.Resources;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.meshwork.controlplane.AdminEndpoint;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.translate.Translator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client honours Meshwork's MeshRetry (gRFC A44): the real local mode translates the YAML, and a
 * proxyless channel retries UNAVAILABLE on its own, as the route's {@code retry_policy} says, against a server that
 * fails every other call. Proof that the translation is standard: grpc-java reads it without a NACK.
 */
class GrpcRetryInteropTest {

    @TempDir
    static Path config;
    private static final AtomicInteger calls = new AtomicInteger();
    private static ProxylessPay mesh;
    private static AdminEndpoint admin;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        // Odd calls fail with UNAVAILABLE, even calls answer: one try in two fails, and a retry always succeeds.
        mesh = new ProxylessPay(config, (request, response) -> {
            if (calls.incrementAndGet() % 2 == 1) {
                response.onError(Status.UNAVAILABLE.withDescription("odd call").asRuntimeException());
            } else {
                response.onNext("pay");
                response.onCompleted();
            }
        }, "");
        admin = mesh.admin;
        channel = mesh.channel;
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    private static Status.Code call() {
        try {
            ClientCalls.blockingUnaryCall(channel, NamedBackend.NAME,
                    CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(20, TimeUnit.SECONDS), "");
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** The RDS version the proxyless client ACKed last, and whether it ever NACKed. */
    private static Struct client() throws Exception {
        return admin.proxies().get(0);
    }

    @Test
    void unavailableIsRetriedByGrpcJavaAsTheMeshRetrySays() throws Exception {
        int withoutRetries = 0;
        for (int i = 0; i < 20; i++) {
            withoutRetries += call() == Status.Code.UNAVAILABLE ? 1 : 0;
        }
        assertThat(withoutRetries).as("without a MeshRetry, every other call fails").isBetween(9, 11);

        Files.writeString(config.resolve("retry.yaml"), """
                apiVersion: meshwork.io/v1alpha1
                kind: MeshRetry
                metadata: {name: pay}
                spec:
                  targetRef: {kind: Service, name: pay}
                  attempts: 2
                  retryOn: [unavailable, cancelled, 5xx]
                  perTryTimeout: 2s
                  backoff: {baseInterval: 10ms, maxInterval: 50ms}
                  budget: {percent: 20, minRetriesPerSecond: 3}
                """);
        String routes = Translator.translate(new LocalConfigLoader().load(config).snapshot(),
                ProxyNode.proxyless("default")).routesVersion();
        Eventually.await(Duration.ofSeconds(15), "the client ACKs the routes with the retry policy", () -> {
            try {
                return routes.equals(client().getFieldsOrThrow("acked").getStructValue()
                        .getFieldsOrDefault(Resources.V3.ROUTE_TYPE_URL, Value.getDefaultInstance()).getStringValue());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        int before = calls.get();
        for (int i = 0; i < 50; i++) {
            assertThat(call()).as("call %d with retries", i).isEqualTo(Status.Code.OK);
        }
        assertThat(calls.get() - before).as("tries the server saw for 50 calls").isBetween(50, 100);
        assertThat(client().getFieldsOrThrow("lastNack").getKindCase()).isEqualTo(Value.KindCase.NULL_VALUE);
        assertThat(admin.metric("mesh_controlplane_nacks_total")).isZero();
    }
}
