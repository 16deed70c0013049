package io.meshwork.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.meshwork.certs.CaProtocol;
import io.meshwork.certs.CaProtocol.CertificateRequest;
import io.meshwork.certs.CaProtocol.CertificateResponse;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.certs.WorkloadCsrSigner;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA service over real TLS on loopback, called as a sidecar calls it. */
class CaServerTest {

    private static final SpiffeId REVIEWS = new SpiffeId("cluster.local", "shop", "reviews");

    private final CertificateAuthority root = CertificateAuthority.createSelfSigned("test root", Duration.ofDays(30));
    private final CertificateAuthority intermediate = root.createIntermediate("east", Duration.ofDays(10));
    private final WorkloadTokens tokens = WorkloadTokens.inMemory("cluster.local");
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private CaServer server;
    private ManagedChannel channel;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = new CaServer(new InetSocketAddress("127.0.0.1", 0),
                new WorkloadCsrSigner(intermediate, Duration.ofHours(24), Duration.ofHours(48)), tokens, meters).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                .sslContext(GrpcSslContexts.forClient().trustManager(root.certificate()).build())
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void aTokenHolderGetsItsOwnIdentityWithTheFullChain() throws Exception {
        String token = tokens.create("reviews-v1", "shop", "reviews", Duration.ofHours(1));

        CertificateResponse response = call(token, WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS), 3600);

        List<X509Certificate> chain = response.certChain().stream()
                .map(pem -> Pem.readCertificates(pem, "response").get(0)).toList();
        assertThat(chain).hasSize(3);
        assertThat(chain.get(0).getSubjectAlternativeNames()).containsExactly(List.of(6, REVIEWS.toString()));
        assertThat(chain.subList(1, 3)).containsExactly(intermediate.certificate(), root.certificate());
        chain.get(0).verify(intermediate.certificate().getPublicKey());
        assertThat(Duration.between(chain.get(0).getNotBefore().toInstant(), chain.get(0).getNotAfter().toInstant()))
                .isEqualTo(Duration.ofMinutes(65));
        assertThat(meters.scrape()).contains("meshwork_ca_certificates_issued_total 1.0");
    }

    @Test
    void anotherWorkloadsIdentityIsPermissionDeniedNamingBoth() {
        String token = tokens.create("reviews-v1", "shop", "reviews", Duration.ofHours(1));
        String csr = WorkloadCsrSigner.csr(KeyPairs.newEcP256(), new SpiffeId("cluster.local", "shop", "payments"));

        assertRefused(() -> call(token, csr, 0), Status.Code.PERMISSION_DENIED,
                "CSR asks for identity spiffe://cluster.local/ns/shop/sa/payments but the caller is "
                        + "spiffe://cluster.local/ns/shop/sa/reviews");
        assertThat(meters.scrape()).contains("meshwork_ca_certificates_refused_total{reason=\"permission_denied\"} 1.0");
    }

    @Test
    void missingForgedAndExpiredTokensAreUnauthenticated() {
        String csr = WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS);
        String forged = WorkloadTokens.inMemory("cluster.local").create("reviews-v1", "shop", "reviews", Duration.ofHours(1));
        Clock lastWeek = Clock.fixed(Instant.now().minus(Duration.ofDays(7)), ZoneOffset.UTC);
        String expired = new WorkloadTokens(keysOf(tokens), "cluster.local", lastWeek)
                .create("reviews-v1", "shop", "reviews", Duration.ofHours(1));

        assertRefused(() -> call(null, csr, 0), Status.Code.UNAUTHENTICATED,
                "no workload token (authorization: Bearer <token>)");
        assertRefused(() -> call(forged, csr, 0), Status.Code.UNAUTHENTICATED,
                "workload token signature does not verify (not signed by this control plane's key)");
        assertRefused(() -> call(expired, csr, 0), Status.Code.UNAUTHENTICATED, "workload token expired at");
        assertRefused(() -> call("a.b", csr, 0), Status.Code.UNAUTHENTICATED,
                "workload token is not a JWT (header.payload.signature)");
    }

    @Test
    void aTtlOverTheMaximumIsRefusedWithItsReason() {
        String token = tokens.create("reviews-v1", "shop", "reviews", Duration.ofHours(1));

        assertRefused(() -> call(token, WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS), 3 * 24 * 3600),
                Status.Code.INVALID_ARGUMENT, "requested TTL PT72H is longer than the maximum PT48H");
    }

    @Test
    void plaintextCallersGetNoAnswer() throws Exception {
        ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(plaintext, CaProtocol.CREATE_CERTIFICATE,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), new CertificateRequest("x", 0)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL));
        } finally {
            plaintext.shutdownNow();
        }
    }

    @Test
    void tokensFromTheCaFolderOutliveTheProcessThatMadeThem() throws Exception {
        String token = WorkloadTokens.inFolder(dir, "cluster.local").create("reviews-v1", "shop", "reviews", Duration.ofHours(1));

        assertThat(WorkloadTokens.inFolder(dir, "cluster.local").authenticate(token).identity()).isEqualTo(REVIEWS);
        assertThatThrownBy(() -> WorkloadTokens.inFolder(dir, "other.domain").authenticate(token))
                .hasMessage("workload token is for trust domain cluster.local, this mesh is other.domain");
    }

    private CertificateResponse call(String token, String csr, long validitySeconds) {
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(CaProtocol.AUTHORIZATION, "Bearer " + token);
        }
        var intercepted = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        return ClientCalls.blockingUnaryCall(intercepted, CaProtocol.CREATE_CERTIFICATE,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new CertificateRequest(csr, validitySeconds));
    }

    private static void assertRefused(Runnable call, Status.Code code, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).startsWith(message);
        });
    }

    private static java.security.KeyPair keysOf(WorkloadTokens tokens) {
        return tokens.keys();
    }
}
