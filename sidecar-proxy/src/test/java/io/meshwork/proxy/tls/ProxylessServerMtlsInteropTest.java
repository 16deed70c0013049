package io.meshwork.proxy.tls;

import static io.meshwork.proxy.testing.MeshConfigFolder.proxylessWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.strictMtls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.xds.XdsServerBuilder;
import io.grpc.xds.XdsServerCredentials;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.testing.Eventually;
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
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxyless grpc-java server ({@code XdsServerBuilder} with {@code XdsServerCredentials}, its certificate
 * from the bootstrap's {@code file_watcher} provider) in STRICT mode, configured by the Listener the real
 * control plane pushes: a Meshwork sidecar calls it over mutual TLS, and a plaintext client is refused.
 */
class ProxylessServerMtlsInteropTest {

    private static final String CALLER_ID = "spiffe://cluster.local/ns/default/sa/productpage";

    @TempDir
    static Path dir;
    private static final TestIdentities ca = new TestIdentities("mesh root");
    private static final AtomicReference<String> peerSeen = new AtomicReference<>();
    private static int greeterPort;
    private static MeshConfigFolder config;
    private static ControlPlane controlPlane;
    private static Server greeter;
    private static SidecarProxy productpage;

    @BeforeAll
    static void start() throws Exception {
        greeterPort = FreePort.pick();
        Path configDir = Files.createDirectories(dir.resolve("config"));
        config = new MeshConfigFolder(configDir)
                .write("greeter.yaml", service("greeter", 9091, "grpc", Map.of("app", "greeter")),
                        proxylessWorkload("greeter-1", Map.of("app", "greeter"), "greeter", "grpc", greeterPort))
                .write("peer-authentication.yaml", strictMtls("greeter"));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir);
        controlPlane.trust(ca.trust());
        controlPlane.start();
        Path identity = dir.resolve("identity");
        TestIdentities.write(ca.issue("default", "greeter", Duration.ofHours(1)), ca.root(), identity);
        ProxylessBootstrap.install(controlPlane.xdsPort(), "greeter-1", identity);

        CompletableFuture<Void> serving = new CompletableFuture<>();
        greeter = XdsServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", greeterPort),
                        XdsServerCredentials.create(InsecureServerCredentials.create()))
                .addService(ServerInterceptors.intercept(GrpcEcho.service(), new PeerRecorder()))
                .xdsServingStatusListener(new XdsServerBuilder.XdsServingStatusListener() {
                    @Override
                    public void onServing() {
                        serving.complete(null);
                    }

                    @Override
                    public void onNotServing(Throwable cause) {
                        serving.completeExceptionally(cause);
                    }
                })
                .build();
        // start() waits for the server's Listener and never gives up: bound its wait, so a missing
        // Listener fails the test instead of hanging it.
        CompletableFuture.runAsync(() -> {
            try {
                greeter.start();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(30, TimeUnit.SECONDS);
        serving.get(20, TimeUnit.SECONDS);
        productpage = MeshSidecar.start(controlPlane.xdsPort(), "productpage", "productpage",
                WorkloadCertificateSource.fixed(ca.issue("default", "productpage", Duration.ofHours(1))));
    }

    @AfterAll
    static void stop() throws Exception {
        productpage.drainAndStop();
        greeter.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controlPlane.close();
    }

    /** Records the SPIFFE ID of the client certificate each call came with. */
    private static final class PeerRecorder implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            peerSeen.set(session == null ? "plaintext" : uriSan(session));
            return next.startCall(call, headers);
        }

        private static String uriSan(SSLSession session) {
            try {
                Certificate leaf = session.getPeerCertificates()[0];
                return ((X509Certificate) leaf).getSubjectAlternativeNames().stream()
                        .filter(san -> (Integer) san.get(0) == 6).map(san -> (String) san.get(1))
                        .findFirst().orElse("none");
            } catch (SSLPeerUnverifiedException | java.security.cert.CertificateParsingException e) {
                return "unverified";
            }
        }
    }

    private static String say(ManagedChannel channel, String text) throws InterruptedException {
        try {
            byte[] reply = ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), text.getBytes(StandardCharsets.UTF_8));
            return new String(reply, StandardCharsets.UTF_8);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ManagedChannel throughSidecar() {
        return NettyChannelBuilder.forAddress("127.0.0.1", productpage.listenerPort("outbound"))
                .overrideAuthority("greeter:9091").usePlaintext().build();
    }

    @Test
    void aSidecarCallsTheStrictServerOverMutualTlsInItsWorkloadsName() throws Exception {
        assertThat(say(throughSidecar(), "sidecar")).isEqualTo("hello sidecar");
        assertThat(peerSeen.get()).isEqualTo(CALLER_ID);
    }

    @Test
    void theServerEnforcesWhoMayCallItAsItsTrafficTargetsSay() throws Exception {
        config.write("target.yaml", MeshConfigFolder.trafficTarget("greeter", "reviews"));
        Eventually.await(Duration.ofSeconds(10), "productpage's calls denied", () -> callStatus() == Status.Code.PERMISSION_DENIED);

        config.write("target.yaml", MeshConfigFolder.trafficTarget("greeter", "productpage"));
        Eventually.await(Duration.ofSeconds(10), "productpage's calls allowed", () -> callStatus() == Status.Code.OK);
    }

    private static Status.Code callStatus() {
        try {
            say(throughSidecar(), "who");
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Status.Code.CANCELLED;
        }
    }

    @Test
    void aPlaintextClientIsRefused() {
        ManagedChannel direct = NettyChannelBuilder.forAddress("127.0.0.1", greeterPort).usePlaintext().build();

        assertThatThrownBy(() -> say(direct, "plaintext"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
}
