package io.meshwork.proxy.identity;

import static io.meshwork.proxy.testing.MeshConfigFolder.meshedWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.controlplane.ca.CaServer;
import io.meshwork.controlplane.ca.IssuedCertificates;
import io.meshwork.controlplane.ca.WorkloadTokens;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.TestIdentities;
import io.meshwork.proxy.xds.NodeIdentity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar's ADS stream on the CA's TLS port, authenticated with its workload token: it is served its own config,
 * and a sidecar whose token is for another workload than the one its node names gets nothing.
 */
class AuthenticatedAdsTest {

    @TempDir
    Path dir;
    private final TestIdentities ca = new TestIdentities("ads root");
    private final WorkloadTokens tokens = WorkloadTokens.inMemory(TestIdentities.TRUST_DOMAIN);
    private ControlPlane controlPlane;
    private CaServer caServer;
    private CaClient identity;
    private SidecarProxy sidecar;

    @BeforeEach
    void start() throws Exception {
        Path config = Files.createDirectories(dir.resolve("config"));
        new MeshConfigFolder(config).write("reviews.yaml", service("reviews", 9080, "http", Map.of("app", "reviews")),
                meshedWorkload("reviews-1", Map.of("app", "reviews"), "reviews", Map.of("http", 19080), Map.of("http", 29080)));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), config);
        controlPlane.trust(ca.trust());
        controlPlane.start();
        caServer = new CaServer(new InetSocketAddress("127.0.0.1", 0), ca.signer(), tokens, new SimpleMeterRegistry(),
                new IssuedCertificates(), controlPlane.aggregatedDiscoveryService()).start();
        Files.writeString(dir.resolve("root-cert.pem"), Pem.write(ca.root()));
    }

    @AfterEach
    void stop() throws Exception {
        if (sidecar != null) {
            sidecar.drainAndStop();
        }
        if (identity != null) {
            identity.close();
        }
        caServer.close();
        controlPlane.close();
    }

    @Test
    void aSidecarWithItsOwnTokenGetsItsConfigOverTheCasTlsPort() throws Exception {
        sidecar = sidecarOf("reviews-1", "reviews-1");

        Eventually.await(Duration.ofSeconds(15), "reviews-1's config over the authenticated stream",
                () -> sidecar.configStore().hasCompleteConfig());
        assertThat(sidecar.configStore().current().listeners()).containsKey("inbound|19080");
    }

    @Test
    void aTokenForOneWorkloadCannotFetchAnothersConfig() throws Exception {
        // The token says reviews-1; the node claims reviews-2 (same namespace and service account).
        Path token = Files.writeString(dir.resolve("token"), tokens.create("reviews-1", "default", "reviews", Duration.ofHours(1)));
        String address = "127.0.0.1:" + caServer.port();
        identity = new CaClient(new CaClient.Options(address, dir.resolve("root-cert.pem"), token,
                new SpiffeId(TestIdentities.TRUST_DOMAIN, "default", "reviews"), Duration.ZERO)).start(Duration.ofSeconds(10));
        CaClient.AuthenticatedChannel channel = identity.xdsChannel(address).orElseThrow();
        io.grpc.ManagedChannel grpc = io.grpc.netty.NettyChannelBuilder.forTarget(address).sslContext(channel.tls()).build();
        try {
            java.util.concurrent.CompletableFuture<Throwable> ended = new java.util.concurrent.CompletableFuture<>();
            var requests = io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.newStub(grpc)
                    .withCallCredentials(channel.credentials())
                    .streamAggregatedResources(new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse response) {
                            ended.completeExceptionally(new AssertionError("served " + response.getTypeUrl()));
                        }

                        @Override
                        public void onError(Throwable t) {
                            ended.complete(t);
                        }

                        @Override
                        public void onCompleted() {
                            ended.completeExceptionally(new AssertionError("completed without an error"));
                        }
                    });
            requests.onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder()
                    .setNode(new NodeIdentity("reviews-2", "default", "reviews", "test").toNode())
                    .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster").build());

            io.grpc.Status status = io.grpc.Status.fromThrowable(ended.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
            assertThat(status.getDescription()).contains("default/reviews-2").contains("(workload default/reviews-1)");
        } finally {
            grpc.shutdownNow();
        }
    }

    private SidecarProxy sidecarOf(String tokenWorkload, String nodeWorkload) throws Exception {
        Path token = Files.writeString(dir.resolve("token-" + tokenWorkload), tokens.create(tokenWorkload, "default", "reviews",
                Duration.ofHours(1)));
        String address = "127.0.0.1:" + caServer.port();
        identity = new CaClient(new CaClient.Options(address, dir.resolve("root-cert.pem"), token,
                new SpiffeId(TestIdentities.TRUST_DOMAIN, "default", "reviews"), Duration.ZERO)).start(Duration.ofSeconds(10));
        return new SidecarProxy(new SidecarProxy.Options(address, new NodeIdentity(nodeWorkload, "default", "reviews", "test"),
                "127.0.0.1", 0, 0, 0, 0, 0, Duration.ofSeconds(1), 1, AppProbes.none(), identity)).start();
    }
}
