package io.meshwork.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.LeafRequest;
import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.certs.WorkloadCsrSigner;
import io.meshwork.controlplane.ca.CaServer;
import io.meshwork.controlplane.ca.WorkloadTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sidecar's CA client against the real CA service over TLS on loopback. */
class CaClientTest {

    private static final SpiffeId REVIEWS = new SpiffeId("cluster.local", "shop", "reviews");

    private final CertificateAuthority root = CertificateAuthority.createSelfSigned("test root", Duration.ofDays(30));
    private final CertificateAuthority intermediate = root.createIntermediate("east", Duration.ofDays(10));
    private final WorkloadTokens tokens = WorkloadTokens.inMemory("cluster.local");
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws Exception {
        Files.writeString(dir.resolve("root-cert.pem"), root.certificatePem());
        Files.writeString(dir.resolve("token"), tokens.create("reviews-v1", "shop", "reviews", Duration.ofHours(1)));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void renewsAtHalfItsLifetimeWithANewKeyEachTimeAndTellsListeners() throws Exception {
        CaServer server = caServer(0);
        List<WorkloadCertificate> seen = new CopyOnWriteArrayList<>();
        CaClient client = client(server.port(), REVIEWS, Duration.ofSeconds(4));
        client.onChange(seen::add);

        client.start(Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (seen.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        assertThat(seen).hasSizeGreaterThanOrEqualTo(3);
        assertThat(seen.stream().map(c -> c.leaf().getSerialNumber()).distinct()).hasSize(seen.size());
        assertThat(seen.stream().map(WorkloadCertificate::key).distinct()).hasSize(seen.size());
        for (WorkloadCertificate certificate : seen) {
            assertThat(certificate.leaf().getSubjectAlternativeNames()).containsExactly(List.of(6, REVIEWS.toString()));
            assertThat(certificate.chain()).hasSize(2).endsWith(intermediate.certificate());
            certificate.leaf().verify(intermediate.certificate().getPublicKey());
        }
        // each renewal came while the certificate before it was still valid
        for (int i = 1; i < seen.size(); i++) {
            assertThat(seen.get(i).leaf().getNotAfter()).isAfter(seen.get(i - 1).leaf().getNotAfter());
        }
        assertThat(client.current()).isEqualTo(seen.get(seen.size() - 1));
    }

    @Test
    void anIdentityTheTokenDoesNotGrantFailsTheStartWithTheCasReason() throws Exception {
        CaServer server = caServer(0);
        CaClient client = client(server.port(), new SpiffeId("cluster.local", "shop", "payments"), Duration.ZERO);

        assertThatThrownBy(() -> client.start(Duration.ofSeconds(10)))
                .hasMessageContaining("PERMISSION_DENIED: CSR asks for identity spiffe://cluster.local/ns/shop/sa/payments "
                        + "but the caller is spiffe://cluster.local/ns/shop/sa/reviews");
        assertThat(client.current()).isNull();
        assertThat(meters.counter("meshwork_ca_certificates_refused", "reason", "permission_denied").count())
                .as("a refusal is final: asked once, not retried").isEqualTo(1.0);
    }

    @Test
    void waitsForACaThatIsNotUpYet() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        CaClient client = client(port, REVIEWS, Duration.ZERO);
        CompletableFuture<CaClient> started = CompletableFuture.supplyAsync(() -> client.start(Duration.ofSeconds(20)));
        Thread.sleep(1000);
        assertThat(started).isNotDone();

        caServer(port);

        assertThat(started.get(20, TimeUnit.SECONDS).current()).isNotNull();
    }

    @Test
    void renewalFallsBetween40And60PercentOfTheLifetimeFromArrival() {
        X509Certificate leaf = intermediate.issue(LeafRequest.forWorkload(REVIEWS, Duration.ofHours(10))).certificate();
        Instant received = Instant.now();
        for (int i = 0; i < 200; i++) {
            Duration after = Duration.between(received, CaClient.renewalTime(leaf, received));
            assertThat(after).isBetween(Duration.ofHours(4).minusSeconds(1), Duration.ofHours(6).plusSeconds(1));
        }
    }

    private CaServer caServer(int port) throws Exception {
        CaServer server = new CaServer(new InetSocketAddress("127.0.0.1", port),
                new WorkloadCsrSigner(intermediate, Duration.ofHours(24), Duration.ofHours(48)), tokens,
                meters).start();
        closing.add(server);
        return server;
    }

    private CaClient client(int port, SpiffeId identity, Duration ttl) {
        CaClient client = new CaClient(new CaClient.Options("127.0.0.1:" + port, dir.resolve("root-cert.pem"),
                dir.resolve("token"), identity, ttl));
        closing.add(0, client);
        return client;
    }
}
