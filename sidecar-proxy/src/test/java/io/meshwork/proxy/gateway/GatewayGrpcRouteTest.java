package io.meshwork.proxy.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.GatewayMesh;
import io.meshwork.proxy.testing.GrpcBytes;
import io.meshwork.proxy.testing.MeshConfigFolder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPCRoutes on a Gateway, modelled on the Gateway API conformance suite's {@code GRPCExactMethodMatching},
 * {@code GRPCRouteHeaderMatching}, {@code GRPCRouteWeight} and {@code GRPCRouteListenerHostnameMatching}: grpc-java
 * calls over h2c (prior knowledge, as the spec requires of an HTTP listener) to a real {@code mesh gateway}, configured
 * by the real control plane from a watched folder, reaching grpc-java backends that answer with their name; and an
 * HTTPRoute that shares the listener's host name with a newer GRPCRoute keeps it, as the GRPCRoute spec orders.
 */
class GatewayGrpcRouteTest {

    private static final MethodDescriptor<byte[], byte[]> SAY = GrpcBytes.method("echo.Echo/Say", MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> SHOUT = GrpcBytes.method("echo.Echo/Shout", MethodDescriptor.MethodType.UNARY);
    private static final Metadata.Key<String> VERSION = Metadata.Key.of("version", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> ROUTE = Metadata.Key.of("x-route", Metadata.ASCII_STRING_MARSHALLER);
    private static final int PORT = FreePort.pick();

    @TempDir
    static Path configDir;
    private static final List<Server> backends = new ArrayList<>();
    private static GatewayMesh mesh;
    private static ManagedChannel grpc;

    @BeforeAll
    static void start() throws Exception {
        List<String> documents = new ArrayList<>();
        documents.add(GatewayMesh.gateway("""
                - name: http
                  port: %d
                  protocol: HTTP
                  hostname: "*.example.com"
                """.formatted(PORT)));
        for (String version : List.of("v1", "v2", "v3")) {
            Server backend = backend("echo-" + version);
            backends.add(backend);
            documents.add(MeshConfigFolder.workload("echo-" + version, Map.of("app", "echo", "version", version), "grpc",
                    backend.getPort()));
            documents.add(MeshConfigFolder.service("echo-" + version, 9090, "grpc", Map.of("app", "echo", "version", version)));
        }
        documents.add("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: echo, namespace: default, creationTimestamp: "2026-12-01T10:00:00Z"}
                spec:
                  parentRefs: [{name: web, sectionName: http}]
                  hostnames: [grpc.example.com]
                  rules:
                  - matches: [{method: {service: echo.Echo, method: Shout}}]
                    backendRefs: [{name: echo-v3, port: 9090}]
                  - matches: [{headers: [{name: version, value: two}]}]
                    backendRefs: [{name: echo-v2, port: 9090}]
                  - filters:
                    - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-route, value: edge}]}}
                    backendRefs:
                    - {name: echo-v1, port: 9090, weight: 80}
                    - {name: echo-v2, port: 9090, weight: 20}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: web-pages, namespace: default, creationTimestamp: "2026-11-01T10:00:00Z"}
                spec:
                  parentRefs: [{name: web}]
                  hostnames: [pages.example.com]
                  rules: [{backendRefs: [{name: store, port: 8080}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: late, namespace: default, creationTimestamp: "2026-12-02T10:00:00Z"}
                spec:
                  parentRefs: [{name: web}]
                  hostnames: [pages.example.com]
                  rules: [{backendRefs: [{name: echo-v3, port: 9090}]}]
                """);
        mesh = new GatewayMesh(configDir, List.of(PORT), documents.toArray(String[]::new));
        grpc = NettyChannelBuilder.forAddress("127.0.0.1", PORT).overrideAuthority("grpc.example.com").usePlaintext().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) { // until the gateway has the route
            try {
                if (reached(SHOUT).equals("echo-v3")) {
                    break;
                }
            } catch (StatusRuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (grpc != null) {
            grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (mesh != null) {
            mesh.close();
        }
        for (Server backend : backends) {
            backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theMethodOrAHeaderPicksTheBackendAsInGrpcExactMethodAndHeaderMatching() {
        assertThat(reached(SHOUT)).isEqualTo("echo-v3");
        assertThat(reached(SAY, VERSION, "two")).isEqualTo("echo-v2");
    }

    @Test
    void weightsSplitCallsAndTheResponseHeaderIsAddedAsInGrpcRouteWeightAndHeaderModifier() {
        int total = 1000;
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < total; i++) {
            seen.merge(reached(SAY), 1, Integer::sum);
        }
        System.out.println("GatewayGrpcRouteTest weights 80/20 over " + total + " calls: " + seen);
        assertThat(seen.keySet()).containsExactly("echo-v1", "echo-v2");
        assertThat(seen.get("echo-v1") / (double) total).isBetween(0.75, 0.85);

        AtomicReference<Metadata> headers = new AtomicReference<>();
        ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(grpc,
                        MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>())),
                SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]);
        assertThat(headers.get().get(ROUTE)).isEqualTo("edge");
    }

    @Test
    void aHostnameOutsideTheRoutesIsNotRoutedAsInGrpcRouteListenerHostnameMatching() throws Exception {
        ManagedChannel other = NettyChannelBuilder.forAddress("127.0.0.1", PORT).overrideAuthority("other.example.com")
                .usePlaintext().build();
        try {
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(other, SAY,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]), StatusRuntimeException.class)
                    .getStatus().getCode()).as("no route: HTTP 404, which grpc-java reads as UNIMPLEMENTED")
                    .isEqualTo(Status.Code.UNIMPLEMENTED);
        } finally {
            other.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anOlderHttpRouteKeepsAHostnameANewerGrpcRouteAlsoClaims() throws Exception {
        String response = GatewayMesh.get(PORT, "pages.example.com", "/index");
        assertThat(response).as("the HTTPRoute, older, serves pages.example.com; the GRPCRoute late is left off")
                .startsWith("HTTP/1.1 200").endsWith("store /index");
    }

    /** The backend that answered a call, sent with {@code header: value} pairs. */
    private static String reached(MethodDescriptor<byte[], byte[]> method, Object... header) {
        Metadata metadata = new Metadata();
        for (int i = 0; i < header.length; i += 2) {
            @SuppressWarnings("unchecked")
            Metadata.Key<String> key = (Metadata.Key<String>) header[i];
            metadata.put(key, (String) header[i + 1]);
        }
        byte[] reply = ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(grpc,
                MetadataUtils.newAttachHeadersInterceptor(metadata)), method,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]);
        return new String(reply, StandardCharsets.UTF_8);
    }

    /** A grpc-java server of echo.Echo (Say, Shout) answering with {@code name}. */
    private static Server backend(String name) throws java.io.IOException {
        var answer = ServerCalls.<byte[], byte[]>asyncUnaryCall((request, response) -> {
            response.onNext(name.getBytes(StandardCharsets.UTF_8));
            response.onCompleted();
        });
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerServiceDefinition.builder("echo.Echo").addMethod(SAY, answer).addMethod(SHOUT, answer).build())
                .build().start();
    }
}
