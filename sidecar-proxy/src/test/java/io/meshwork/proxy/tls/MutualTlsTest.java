package io.meshwork.proxy.tls;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.identity.WorkloadCertificate;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.OpenSslCommand;
import io.meshwork.proxy.testing.RawExchange;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestIdentities;
import io.meshwork.proxy.xds.NodeIdentity;
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
                .write("reviews.yaml", service("reviews", 9080, "http", Map.of("app", "reviews")), """
                        apiVersion: meshwork.io/v1alpha1
                        kind: Workload
                        metadata:
                          name: reviews-1
                          namespace: default
                          labels:
                            app: reviews
                        spec:
                          address: 127.0.0.1
                          serviceAccount: reviews
                          ports:
                            http: %d
                          appPorts:
                            http: %d
                        """.formatted(reviewsPort, app.port()));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir);
        controlPlane.trust(ca.trust());
        controlPlane.start();
        reviews = sidecar("reviews-1", "reviews", ca.issue("default", "reviews", Duration.ofHours(1)));
        productpage = sidecar("productpage", "productpage", ca.issue("default", "productpage", Duration.ofHours(1)));
        Eventually.await(Duration.ofSeconds(15), "reviews' inbound listener",
                () -> reviews.listenerPort("inbound|" + reviewsPort) > 0);
        client = HttpClient.newBuilder()
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", productpage.listenerPort("outbound"))))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private SidecarProxy sidecar(String workload, String serviceAccount, WorkloadCertificate certificate)
            throws InterruptedException {
        SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                new NodeIdentity(workload, "default", serviceAccount, "test"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(1), 1, io.meshwork.proxy.admin.AppProbes.none(),
                WorkloadCertificateSource.fixed(certificate))).start();
        Eventually.await(Duration.ofSeconds(15), workload + "'s first complete config",
                () -> sidecar.configStore().hasCompleteConfig() && sidecar.listenerPort("outbound") > 0);
        return sidecar;
    }

    @AfterEach
    void stop() throws Exception {
        productpage.drainAndStop();
        reviews.drainAndStop();
        controlPlane.close();
        app.close();
    }

    private HttpResponse<String> callReviews() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://reviews:9080/hello"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Makes reviews' port STRICT and waits until plaintext is refused there. */
    private void strict() throws InterruptedException {
        config.write("peer-authentication.yaml", """
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: reviews
                  namespace: default
                spec:
                  selector:
                    matchLabels:
                      app: reviews
                  mtls:
                    mode: STRICT
                """);
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
        HttpResponse<String> response = callReviews();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("reviews-app");
        // The inbound side terminated mTLS: it forwarded the client's SPIFFE ID to the app, as Istio's XFCC does.
        assertThat(response.headers().firstValue("x-seen-x-forwarded-client-cert")).hasValue(
                "By=" + REVIEWS_ID + ";URI=spiffe://cluster.local/ns/default/sa/productpage");
    }

    @Test
    void strictRefusesPlaintextButTheMeshClientStillGetsThrough() throws Exception {
        assertThat(RawExchange.exchange(reviewsPort, HTTP_REQUEST)).startsWith("HTTP/1.1 200");

        strict();
        assertThat(callReviews().statusCode()).isEqualTo(200);
    }

    @Test
    void opensslWithAMeshCertificateIsServedByTheWorkloadsSpiffeIdAndWithoutOneIsRefused() throws Exception {
        OpenSslCommand.assumeInstalled();
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
        assertThat(foreign.output()).doesNotContain("HTTP/1.1").containsIgnoringCase("alert");
    }

    @Test
    void aPermissivePortAnswersPlaintextAndMutualTls() throws Exception {
        OpenSslCommand.assumeInstalled();
        Path mesh = dir.resolve("mesh");
        TestIdentities.write(ca.issue("default", "ratings", Duration.ofHours(1)), ca.root(), mesh);

        assertThat(RawExchange.exchange(reviewsPort, HTTP_REQUEST)).startsWith("HTTP/1.1 200");
        assertThat(OpenSslCommand.run(mesh, HTTP_REQUEST, "s_client", "-connect", "127.0.0.1:" + reviewsPort, "-quiet",
                "-verify_return_error", "-CAfile", "root.pem", "-cert", "cert.pem", "-cert_chain", "intermediates.pem", "-key", "key.pem").output())
                .contains("HTTP/1.1 200");
    }
}
