package io.meshwork.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import io.meshwork.proxy.testing.GrpcBytes;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.SidecarHarness;
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
 * Gateway API GRPCRoutes with Service parents (GAMMA) end to end, modelled on the conformance suite's GRPCRoute cases
 * ({@code GRPCExactMethodMatching}, {@code GRPCRouteHeaderMatching}, {@code GRPCRouteWeight},
 * {@code GRPCRouteHeaderModifier}, {@code GRPCRouteListenerHostnameMatching}'s mesh counterpart): YAML in a watched
 * folder, the real control plane and sidecar, grpc-java clients and three grpc-java backends on loopback that answer
 * with their version and the {@code x-env} header they got. Each case checks the backend a call reaches.
 */
class GammaGrpcRouteTest {

    private static final MethodDescriptor<byte[], byte[]> ECHO_SAY = unary("echo.Echo/Say");
    private static final MethodDescriptor<byte[], byte[]> ECHO_SHOUT = unary("echo.Echo/Shout");
    private static final MethodDescriptor<byte[], byte[]> GREETER_SAY = unary("other.Greeter/Say");
    private static final Metadata.Key<String> ENV = Metadata.Key.of("x-env", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> VERSION = Metadata.Key.of("version", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> ROUTE = Metadata.Key.of("x-route", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    static Path configDir;
    private static final List<Server> backends = new ArrayList<>();
    private static ControlPlane controlPlane;
    private static SidecarHarness harness;
    private static ManagedChannel echo;
    private static ManagedChannel ranked;

    @BeforeAll
    static void start() throws Exception {
        List<String> mesh = new ArrayList<>();
        for (String version : List.of("v1", "v2", "v3")) {
            Server backend = backend(version);
            backends.add(backend);
            mesh.add(MeshConfigFolder.workload("echo-" + version, Map.of("app", "echo", "version", version), "grpc",
                    backend.getPort()));
            mesh.add(MeshConfigFolder.service("echo-" + version, 9090, "grpc", Map.of("app", "echo", "version", version)));
        }
        mesh.add(MeshConfigFolder.service("echo", 9090, "grpc", Map.of("app", "echo")));
        mesh.add(MeshConfigFolder.service("ranked", 9090, "grpc", Map.of("app", "echo")));
        mesh.add(MeshConfigFolder.service("canaried", 9090, "grpc", Map.of("app", "echo")));
        new MeshConfigFolder(configDir).write("mesh.yaml", mesh.toArray(String[]::new)).write("routes.yaml",
                route("echo", """
                        - matches: [{method: {service: echo.Echo, method: Shout}}]
                          backendRefs: [{name: echo-v2, port: 9090}]
                        - matches: [{method: {service: other.Greeter}}]
                          backendRefs: [{name: echo-v3, port: 9090}]
                        - matches: [{headers: [{name: version, value: two}]}]
                          backendRefs: [{name: echo-v2, port: 9090}]
                        - filters:
                          - type: RequestHeaderModifier
                            requestHeaderModifier: {set: [{name: x-env, value: mesh}]}
                          - type: ResponseHeaderModifier
                            responseHeaderModifier: {add: [{name: x-route, value: default}]}
                          backendRefs:
                          - {name: echo-v1, port: 9090, weight: 70}
                          - {name: echo-v2, port: 9090, weight: 30}
                        """),
                route("ranked", """
                        - matches: [{method: {method: Say}}]
                          backendRefs: [{name: echo-v3, port: 9090}]
                        - matches: [{method: {service: echo.Echo}}]
                          backendRefs: [{name: echo-v2, port: 9090}]
                        - matches: [{method: {type: RegularExpression, service: "other\\\\..*", method: "S.y"}}]
                          backendRefs: [{name: echo-v1, port: 9090}]
                        """),
                route("canaried", """
                        - backendRefs:
                          - {name: echo-v1, port: 9090, weight: 100}
                          - {name: echo-v3, port: 9090, weight: 0}
                        """));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        harness = new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort());
        echo = channel("echo:9090");
        ranked = channel("ranked:9090");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) { // until the sidecar has the routes
            try {
                if (reached(echo, ECHO_SHOUT).equals("echo-v2") && reached(ranked, GREETER_SAY).equals("echo-v1")) {
                    break;
                }
            } catch (io.grpc.StatusRuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (ManagedChannel channel : new ManagedChannel[] {echo, ranked}) {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        if (harness != null) {
            harness.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        for (Server backend : backends) {
            backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anExactServiceAndMethodOrServiceAloneOrAHeaderPicksTheRuleAsInGrpcExactMethodAndHeaderMatching() {
        assertThat(reached(echo, ECHO_SHOUT)).isEqualTo("echo-v2");
        assertThat(reached(echo, GREETER_SAY)).as("service alone: every method of other.Greeter").isEqualTo("echo-v3");
        assertThat(reached(echo, ECHO_SAY, VERSION, "two")).isEqualTo("echo-v2");
    }

    @Test
    void theServiceOutranksTheMethodAsTheGrpcRouteSpecOrdersMatches() {
        // echo.Echo/Say matches both {method: Say} and {service: echo.Echo}: more characters of service win,
        // although an HTTPRoute's order (a regular expression path before a prefix) would have picked the first
        assertThat(reached(ranked, ECHO_SAY)).isEqualTo("echo-v2");
        assertThat(reached(ranked, GREETER_SAY)).as("RegularExpression on service and method").isEqualTo("echo-v1");
    }

    @Test
    void weightsSplitCallsWithinFivePointsAsInGrpcRouteWeight() {
        int total = 1000;
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < total; i++) {
            seen.merge(reached(echo, ECHO_SAY), 1, Integer::sum);
        }
        System.out.println("GammaGrpcRouteTest weights 70/30 over " + total + " calls: " + seen);
        assertThat(seen.keySet()).containsExactly("echo-v1", "echo-v2");
        assertThat(seen.get("echo-v1") / (double) total).isBetween(0.65, 0.75);
    }

    @Test
    void headerModifiersChangeTheCallAndItsAnswerAsInGrpcRouteHeaderModifier() {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        Metadata sent = new Metadata();
        sent.put(ENV, "laptop");
        byte[] reply = ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(echo,
                        MetadataUtils.newAttachHeadersInterceptor(sent),
                        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)),
                ECHO_SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]);

        assertThat(new String(reply, StandardCharsets.UTF_8)).as("the backend saw x-env set over the caller's")
                .endsWith(" x-env=mesh");
        assertThat(headers.get().get(ROUTE)).isEqualTo("default");
    }

    @Test
    void meshSplitMovesAGrpcRoutesWeightsAndTheSidecarFollows() throws Exception {
        ManagedChannel canaried = channel("canaried:9090");
        try {
            assertThat(reached(canaried, ECHO_SAY)).isEqualTo("echo-v1");
            // what `mesh split canaried echo-v1=0 echo-v3=100` does in a folder
            TrafficSplitFiles files = new TrafficSplitFiles(configDir);
            TrafficSplitFiles.Location location = files.find("default", "canaried").orElseThrow();
            assertThat(location.title()).isEqualTo("GRPCRoute default/canaried");
            TrafficSplitFiles.replaceAtomically(location.file(),
                    files.rewrite(location, Map.of("echo-v1", 0L, "echo-v3", 100L), null));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!reached(canaried, ECHO_SAY).equals("echo-v3")) {
                assertThat(System.nanoTime()).as("the sidecar took the new weights within 30 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            Map<String, Integer> seen = new TreeMap<>();
            for (int i = 0; i < 200; i++) {
                seen.merge(reached(canaried, ECHO_SAY), 1, Integer::sum);
            }
            assertThat(seen).containsExactly(Map.entry("echo-v3", 200));
        } finally {
            canaried.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** The version that answered a call, sent with {@code header: value} pairs. */
    private static String reached(ManagedChannel channel, MethodDescriptor<byte[], byte[]> method, Object... header) {
        Metadata metadata = new Metadata();
        for (int i = 0; i < header.length; i += 2) {
            @SuppressWarnings("unchecked")
            Metadata.Key<String> key = (Metadata.Key<String>) header[i];
            metadata.put(key, (String) header[i + 1]);
        }
        byte[] reply = ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel,
                MetadataUtils.newAttachHeadersInterceptor(metadata)), method,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS).withWaitForReady(), new byte[0]);
        return new String(reply, StandardCharsets.UTF_8).split(" ")[0];
    }

    private static ManagedChannel channel(String authority) {
        return NettyChannelBuilder.forAddress("127.0.0.1", harness.outboundPort()).overrideAuthority(authority)
                .usePlaintext().build();
    }

    private static String route(String service, String rules) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: %s, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: %s}]
                  rules:
                """.formatted(service, service) + rules.indent(2);
    }

    private static MethodDescriptor<byte[], byte[]> unary(String fullName) {
        return GrpcBytes.method(fullName, MethodDescriptor.MethodType.UNARY);
    }

    /** A grpc-java server of echo.Echo (Say, Shout) and other.Greeter (Say) answering "echo-VERSION x-env=VALUE". */
    private static Server backend(String version) throws java.io.IOException {
        io.grpc.Context.Key<String> env = io.grpc.Context.key("x-env");
        ServerCallHandler<byte[], byte[]> answer = ServerCalls.asyncUnaryCall((request, response) -> {
            response.onNext(("echo-" + version + " x-env=" + env.get()).getBytes(StandardCharsets.UTF_8));
            response.onCompleted();
        });
        ServerInterceptor seeEnv = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                              ServerCallHandler<Q, A> next) {
                return Contexts.interceptCall(io.grpc.Context.current().withValue(env, headers.get(ENV)),
                        new ForwardingServerCall.SimpleForwardingServerCall<>(call) { }, headers, next);
            }
        };
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(ServerServiceDefinition.builder("echo.Echo")
                        .addMethod(ECHO_SAY, answer).addMethod(ECHO_SHOUT, answer).build(), seeEnv))
                .addService(ServerInterceptors.intercept(ServerServiceDefinition.builder("other.Greeter")
                        .addMethod(GREETER_SAY, answer).build(), seeEnv))
                .build().start();
    }
}
