package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client honours a MeshTimeout on a grpc port (gRFC A31): the route's max_stream_duration with
 * grpc_timeout_header_max caps a call's deadline, so a call asking for 20 s against a server that never answers ends
 * with DEADLINE_EXCEEDED at the policy's 500 ms, and the client NACKs nothing.
 */
class GrpcDeadlineInteropTest {

    @TempDir
    static Path config;
    private static final AtomicInteger calls = new AtomicInteger();
    private static ProxylessPay mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new ProxylessPay(config, (request, response) -> calls.incrementAndGet(), """
                apiVersion: meshwork.io/v1alpha1
                kind: MeshTimeout
                metadata: {name: pay}
                spec:
                  targetRef: {kind: Service, name: pay}
                  request: 500ms
                """);
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    @Test
    void aLongerDeadlineIsCutToTheMeshTimeoutByGrpcJavaItself() throws Exception {
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            Status status;
            try {
                ClientCalls.blockingUnaryCall(mesh.channel, NamedBackend.NAME,
                        CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(20, TimeUnit.SECONDS), "");
                status = Status.OK;
            } catch (StatusRuntimeException e) {
                status = e.getStatus();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("proxyless call %d with a 20 s deadline under a 500 ms MeshTimeout: %s after %d ms%n", i,
                    status, millis);
            assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            // grpc-java counts the capped deadline from the call's route pick (after the first call's xDS resolution).
            assertThat(status.getDescription()).containsPattern("deadline exceeded after 0\\.(4|5)\\d*s");
        }
        assertThat(calls.get()).as("the calls reached the server, which never answered").isEqualTo(3);
        assertThat(mesh.admin.proxies().get(0).getFieldsOrThrow("lastNack").getKindCase())
                .isEqualTo(Value.KindCase.NULL_VALUE);
    }
}
