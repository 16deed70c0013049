package io.meshwork.proxy.tls;

import static io.meshwork.proxy.testing.MeshConfigFolder.meshedWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.identity.WorkloadCertificate;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshSidecar;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.OpenSslCommand;
import io.meshwork.proxy.testing.RawExchange;
import io.meshwork.proxy.testing.SteadyLoad;
import io.meshwork.proxy.testing.SwitchableCertificate;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS between two sidecars, configured by the real control plane (translator, ADS, SDS
 * secret) with certificates from a real CA, and checked with openssl as the independent peer:
 * productpage's sidecar calls reviews through reviews' sidecar, whose inbound port is PERMISSIVE or
 * STRICT as a PeerAuthentication says.
 */
class MutualTlsTest {

    private static final String REVIEWS_ID = "spiffe://cluster.local/ns/default/sa/reviews";
    private static final String HTTP_REQUEST = "GET /hello HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n";

    @TempDir
    Path dir;
    private final TestIdentities ca = new TestIdentities("mesh root");
    private TestBackend app;
    private MeshConfigFolder config;
    private ControlPlane controlPlane;
    private SidecarProxy reviews;
    private SidecarProxy productpage;
    private int reviewsPort;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        app = new TestBackend("reviews-app");
        reviewsPort = FreePort.pick();
        Path configDir = Files.createDirectories(dir.resolve("config"));
        config = new MeshConfigFolder(configDir)
                .write("reviews.yaml", service("reviews", 9080, "http", Map.of("app", "reviews")),
                        meshedWorkload("reviews-1", Map.of("app", "reviews"), "reviews", Map.of("http", reviewsPort),
                                Map.of("http", app.port())));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir);
        controlPlane.trust(ca.trust());
        controlPlane.start();
    }

    /** Starts reviews' and productpage's sidecars, each with its certificate from {@code ca}. */
    private void startSidecars() throws InterruptedException {
        startSidecars(WorkloadCertificateSource.fixed(ca.issue("default", "reviews", Duration.ofHours(1))),
                WorkloadCertificateSource.fixed(ca.issue("default", "productpage", Duration.ofHours(1))));
    }

    private void startSidecars(WorkloadCertificateSource reviewsIdentity, WorkloadCertificateSource productpageIdentity)
            throws InterruptedException {
        reviews = sidecar("reviews-1", "reviews", reviewsIdentity);
        productpage = sidecar("productpage", "productpage", productpageIdentity);
        Eventually.await(Duration.ofSeconds(15), "reviews' inbound listener",
                () -> reviews.listenerPort("inbound|" + reviewsPort) > 0);
        client = clientOf(productpage);
    }

    private static HttpClient clientOf(SidecarProxy sidecar) {
        return HttpClient.newBuilder()
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound"))))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private SidecarProxy sidecar(String workload, String serviceAccount, WorkloadCertificateSource identity)
            throws InterruptedException {
        return MeshSidecar.start(controlPlane.xdsPort(), workload, serviceAccount, identity);
    }

    @AfterEach
    void stop() throws Exception {
        if (productpage != null) {
            productpage.drainAndStop();
        }
        if (reviews != null) {
            reviews.drainAndStop();
        }
        controlPlane.close();
        app.close();
    }

    private HttpResponse<String> callReviews() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://reviews:9080/hello"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Makes reviews' port STRICT and waits until plaintext is refused there. */
    private void strict() throws InterruptedException {
        config.write("peer-authentication.yaml", MeshConfigFolder.strictMtls("reviews"));
        Eventually.await(Duration.ofSeconds(10), "plaintext refused on the STRICT port", () -> {
            try {
                return !RawExchange.exchange(reviewsPort, HTTP_REQUEST).startsWith("HTTP/1.1");
            } catch (java.io.IOException e) {
                return true;
            }
        });
    }

    @Test
    void sidecarsCallEachOtherOverMutualTlsAndTheServerSeesTheClientsIdentity() throws Exception {
        startSidecars();
        HttpResponse<String> response = callReviews();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("reviews-app");
        // The inbound side terminated mTLS: it forwarded the client's SPIFFE ID to the app, as Istio's XFCC does.
        assertThat(response.headers().firstValue("x-seen-x-forwarded-client-cert")).hasValue(
                "By=" + REVIEWS_ID + ";URI=spiffe://cluster.local/ns/default/sa/productpage");
    }

    @Test
    void strictRefusesPlaintextButTheMeshClientStillGetsThrough() throws Exception {
        startSidecars();
        assertThat(RawExchange.exchange(reviewsPort, HTTP_REQUEST)).startsWith("HTTP/1.1 200");

        strict();
        assertThat(callReviews().statusCode()).isEqualTo(200);
    }

    @Test
    void opensslWithAMeshCertificateIsServedByTheWorkloadsSpiffeIdAndWithoutOneIsRefused() throws Exception {
        OpenSslCommand.assumeInstalled();
        startSidecars();
        strict();
        Path mesh = dir.resolve("mesh");
        TestIdentities.write(ca.issue("default", "ratings", Duration.ofHours(1)), ca.root(), mesh);
        String port = "127.0.0.1:" + reviewsPort;

        OpenSslCommand.Result ok = OpenSslCommand.run(mesh, HTTP_REQUEST, "s_client", "-connect", port, "-quiet",
                "-verify_return_error", "-CAfile", "root.pem", "-cert", "cert.pem", "-cert_chain", "intermediates.pem", "-key", "key.pem");
        assertThat(ok.output()).contains("HTTP/1.1 200").contains("reviews-app");
        OpenSslCommand.Result shown = OpenSslCommand.run(mesh, "", "s_client", "-connect", port, "-CAfile", "root.pem",
                "-cert", "cert.pem", "-cert_chain", "intermediates.pem", "-key", "key.pem");
        String leaf = shown.output().substring(shown.output().indexOf("-----BEGIN CERTIFICATE-----"),
                shown.output().indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length());
        Files.writeString(mesh.resolve("server.pem"), leaf + "\n");
        assertThat(OpenSslCommand.run(mesh, "", "x509", "-in", "server.pem", "-noout", "-ext", "subjectAltName")
                .output()).contains("URI:" + REVIEWS_ID);

        OpenSslCommand.Result anonymous = OpenSslCommand.run(mesh, HTTP_REQUEST, "s_client", "-connect", port, "-quiet",
                "-CAfile", "root.pem");
        assertThat(anonymous.output()).doesNotContain("HTTP/1.1").containsIgnoringCase("alert");

        Path stranger = dir.resolve("stranger");
        TestIdentities other = new TestIdentities("another root");
        TestIdentities.write(other.issue("default", "productpage", Duration.ofHours(1)), other.root(), stranger);
        OpenSslCommand.Result foreign = OpenSslCommand.run(stranger, HTTP_REQUEST, "s_client", "-connect", port,
                "-quiet", "-cert", "cert.pem", "-cert_chain", "intermediates.pem", "-key", "key.pem");
        assertThat(foreign.output()).doesNotContain("HTTP/1.1").contains("alert unknown ca");
        // The mesh client's handshake and openssl's good one made it; the anonymous and foreign ones were refused.
        assertThat(reviews.metrics().scrape())
                .containsPattern("mesh_inbound_tls_handshakes_total\\{listener=\"inbound[^\"]*\",result=\"refused\"[^}]*\\} 2\\.0")
                .containsPattern("mesh_inbound_tls_handshakes_total\\{listener=\"inbound[^\"]*\",result=\"ok\"[^}]*\\} [1-9]");
    }

    @Test
    void aPermissivePortAnswersPlaintextAndMutualTls() throws Exception {
        OpenSslCommand.assumeInstalled();
        startSidecars();
        Path mesh = dir.resolve("mesh");
        TestIdentities.write(ca.issue("default", "ratings", Duration.ofHours(1)), ca.root(), mesh);

        assertThat(RawExchange.exchange(reviewsPort, HTTP_REQUEST)).startsWith("HTTP/1.1 200");
        assertThat(OpenSslCommand.run(mesh, HTTP_REQUEST, "s_client", "-connect", "127.0.0.1:" + reviewsPort, "-quiet",
                "-verify_return_error", "-CAfile", "root.pem", "-cert", "cert.pem", "-cert_chain", "intermediates.pem", "-key", "key.pem").output())
                .contains("HTTP/1.1 200");
    }

    @Test
    void certificatesRenewedEveryFewSecondsUnderSteadyLoadFailNoRequest() throws Exception {
        SwitchableCertificate reviewsIdentity = new SwitchableCertificate(ca.issue("default", "reviews", Duration.ofSeconds(3)));
        SwitchableCertificate productpageIdentity = new SwitchableCertificate(
                ca.issue("default", "productpage", Duration.ofSeconds(3)));
        startSidecars(reviewsIdentity, productpageIdentity);
        strict();
        try (SteadyLoad load = new SteadyLoad(client, "http://reviews:9080/hello", 4)) {
            // Renew at half the lifetime, as the CA client does, six times over: each certificate expires
            // while the load runs, so new connections must use the new ones.
            for (int renewal = 0; renewal < 6; renewal++) {
                Thread.sleep(1500);
                reviewsIdentity.replace(ca.issue("default", "reviews", Duration.ofSeconds(3)));
                productpageIdentity.replace(ca.issue("default", "productpage", Duration.ofSeconds(3)));
            }
            load.awaitMore(50);
            load.close();
            assertThat(load.failures()).isEmpty();
            assertThat(load.ok()).isGreaterThan(100);
        }
        // A sidecar with no pooled connection (so a new handshake on both sides) gets through with the
        // latest certificates; the first ones expired long ago.
        productpage.drainAndStop();
        productpage = sidecar("productpage", "productpage", productpageIdentity);
        client = clientOf(productpage);
        assertThat(callReviews().statusCode()).isEqualTo(200);
    }

    @Test
    void anExpiredClientCertificateIsRefusedByThePeer() throws Exception {
        WorkloadCertificate expiring = ca.issue("default", "productpage", Duration.ofSeconds(1));
        startSidecars(WorkloadCertificateSource.fixed(ca.issue("default", "reviews", Duration.ofHours(1))),
                WorkloadCertificateSource.fixed(expiring));
        strict();
        Thread.sleep(java.time.Duration.between(java.time.Instant.now(), expiring.notAfter()).toMillis() + 1100);

        HttpResponse<String> response = callReviews();

        assertThat(response.statusCode()).isEqualTo(503);
    }

    @Test
    void aNewRootIsTrustedBesideTheOldDuringTheOverlapThenTheOldOneIsRefused() throws Exception {
        TestIdentities next = new TestIdentities("next root");
        SwitchableCertificate reviewsIdentity = new SwitchableCertificate(ca.issue("default", "reviews", Duration.ofHours(1)));
        SwitchableCertificate productpageIdentity = new SwitchableCertificate(
                ca.issue("default", "productpage", Duration.ofHours(1)));
        startSidecars(reviewsIdentity, productpageIdentity);
        strict();
        try (SteadyLoad load = new SteadyLoad(client, "http://reviews:9080/hello", 4)) {
            load.awaitMore(20);
            controlPlane.trust(both(ca, next));
            Eventually.await(Duration.ofSeconds(10), "both roots at both sidecars", () ->
                    reviews.configStore().current().trustRoots().get("ROOTCA").size() == 2
                            && productpage.configStore().current().trustRoots().get("ROOTCA").size() == 2);
            load.awaitMore(20);
            // Workloads move to certificates of the new root one at a time, as their renewals come.
            reviewsIdentity.replace(next.issue("default", "reviews", Duration.ofHours(1)));
            load.awaitMore(20);
            productpageIdentity.replace(next.issue("default", "productpage", Duration.ofHours(1)));
            load.awaitMore(20);
            controlPlane.trust(next.trust());
            Eventually.await(Duration.ofSeconds(10), "only the new root at both sidecars", () ->
                    reviews.configStore().current().trustRoots().get("ROOTCA").equals(java.util.List.of(next.root()))
                            && productpage.configStore().current().trustRoots().get("ROOTCA")
                            .equals(java.util.List.of(next.root())));
            load.awaitMore(20);
            load.close();
            assertThat(load.failures()).isEmpty();
        }
        OpenSslCommand.assumeInstalled();
        Path old = dir.resolve("old");
        TestIdentities.write(ca.issue("default", "ratings", Duration.ofHours(1)), ca.root(), old);
        assertThat(OpenSslCommand.run(old, HTTP_REQUEST, "s_client", "-connect", "127.0.0.1:" + reviewsPort, "-quiet",
                "-cert", "cert.pem", "-cert_chain", "intermediates.pem", "-key", "key.pem").output())
                .doesNotContain("HTTP/1.1");
    }

    private static io.meshwork.controlplane.model.TrustBundle both(TestIdentities first, TestIdentities second) {
        java.util.List<String> roots = new java.util.ArrayList<>(first.trust().rootsPem());
        roots.addAll(second.trust().rootsPem());
        return new io.meshwork.controlplane.model.TrustBundle(TestIdentities.TRUST_DOMAIN, roots);
    }
}
