package io.meshwork.proxy.tls;

import static io.meshwork.proxy.testing.MeshConfigFolder.meshedWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.strictMtls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.xds.XdsChannelCredentials;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.GrpcEcho;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.MeshSidecar;
import io.meshwork.proxy.testing.ProxylessBootstrap;
import io.meshwork.proxy.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxyless grpc-java client (xDS security: {@code XdsChannelCredentials}, its certificate from the
 * bootstrap's {@code file_watcher} provider) calls a meshed workload whose sidecar's inbound port is
 * STRICT, through the CDS the real control plane pushes: the call goes over mutual TLS, and the same
 * client without it is refused.
 */
class ProxylessClientMtlsInteropTest {

    private static final String TARGET = "xds:///echo.default.svc.cluster.local:9090";
    private static final String CLIENT_ID = "spiffe://cluster.local/ns/default/sa/orders";

    @TempDir
    static Path dir;
    private static final TestIdentities ca = new TestIdentities("mesh root");
    private static final AtomicReference<String> forwardedClientCert = new AtomicReference<>();
    private static Server app;
    private static ControlPlane controlPlane;
    private static SidecarProxy echo;

    @BeforeAll
    static void start() throws Exception {
        app = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(GrpcEcho.service(), new ServerInterceptor() {
                    @Override
                    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                                       ServerCallHandler<Q, A> next) {
                        forwardedClientCert.set(headers.get(
                                Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER)));
                        return next.startCall(call, headers);
                    }
                }))
                .build().start();
        int echoPort = FreePort.pick();
        Path configDir = Files.createDirectories(dir.resolve("config"));
        new MeshConfigFolder(configDir)
                .write("echo.yaml", service("echo", 9090, "grpc", Map.of("app", "echo")),
                        meshedWorkload("echo-1", Map.of("app", "echo"), "echo", Map.of("grpc", echoPort),
                                Map.of("grpc", app.getPort())))
                .write("peer-authentication.yaml", strictMtls("echo"));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir);
        controlPlane.trust(ca.trust());
        controlPlane.start();
        echo = MeshSidecar.start(controlPlane.xdsPort(), "echo-1", "echo",
                WorkloadCertificateSource.fixed(ca.issue("default", "echo", Duration.ofHours(1))));
        Path identity = dir.resolve("identity");
        TestIdentities.write(ca.issue("default", "orders", Duration.ofHours(1)), ca.root(), identity);
        ProxylessBootstrap.install(controlPlane.xdsPort(), "orders-1", identity);
    }

    @AfterAll
    static void stop() throws Exception {
        echo.drainAndStop();
        controlPlane.close();
        app.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /**
     * One call on a new channel. The first resolves through xDS (LDS, RDS, CDS, EDS), which takes a few
     * seconds. {@code waitForReady} rides out a first connection that grpc-java opens before its first TLS
     * context is built: on a loaded machine its ClientHello can come after the sidecar's TLS inspector has
     * waited its second and, on a STRICT port, closed the connection.
     */
    private static String say(ChannelCredentials credentials, String text, boolean waitForReady)
            throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilder(TARGET, credentials).build();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
        try {
            byte[] reply = ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                    waitForReady ? options.withWaitForReady() : options, text.getBytes(StandardCharsets.UTF_8));
            return new String(reply, StandardCharsets.UTF_8);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void withXdsCredentialsTheCallReachesTheStrictPortOverMutualTlsInTheClientsName() throws Exception {
        String reply = say(XdsChannelCredentials.create(InsecureChannelCredentials.create()), "proxyless", true);

        assertThat(reply).isEqualTo("hello proxyless");
        // The sidecar terminated mTLS and names the client's certificate to the application.
        assertThat(forwardedClientCert.get())
                .isEqualTo("By=spiffe://cluster.local/ns/default/sa/echo;URI=" + CLIENT_ID);
    }

    @Test
    void withoutMutualTlsTheStrictPortRefusesTheCall() {
        assertThatThrownBy(() -> say(InsecureChannelCredentials.create(), "plaintext", false))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
}
