package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.CsrRefusedException;
import io.meshwork.certs.KeyPairs;
import io.meshwork.certs.Pem;
import io.meshwork.certs.SpiffeId;
import io.meshwork.certs.WorkloadCsrSigner;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.identity.WorkloadCertificate;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS across clusters, Istio's plug-in CA layout: one root, and each cluster's control plane signing its
 * workloads with its own intermediate of that root. West's frontend calls reviews, which runs only in east,
 * through both real sidecars: the call is mTLS end to end (east's sidecar hands the app the caller's verified
 * SPIFFE ID), though the two certificates come from different intermediates. A workload whose certificate comes
 * from an intermediate of another root, even one named as west's, is refused by east's sidecar and never reaches
 * the app; so is {@code openssl s_client} presenting that chain, while it gets through with west's. fabric8's mock API servers (CRUD mode) are the clusters.
 */
class MultiClusterMtlsTest {

    @TempDir
    Path dir;

    private static final Duration DAY = Duration.ofDays(1);

    @Test
    void aWestWorkloadCallsEastOverMutualTlsAcrossIntermediatesAndAnUnchainedOneIsRefused() throws Exception {
        CertificateAuthority root = CertificateAuthority.createSelfSigned("mesh root", DAY);
        CertificateAuthority westCa = root.createIntermediate("west intermediate", DAY);
        CertificateAuthority eastCa = root.createIntermediate("east intermediate", DAY);
        CertificateAuthority foreignCa = CertificateAuthority.createSelfSigned("another root", DAY)
                .createIntermediate("west intermediate", DAY); // west's name, not chained to the mesh's root
        TrustBundle trust = new TrustBundle("cluster.local", List.of(Pem.write(root.certificate())));
        WorkloadCertificate westCertificate = certificate(westCa, "frontend");
        WorkloadCertificate foreignCertificate = certificate(foreignCa, "frontend");

        try (TestCluster west = new TestCluster(); TestCluster east = new TestCluster();
             PodBackend reviewsApp = new PodBackend("reviews-east-0", "v1")) {
            String reviewsIp = "127.0.0.23"; // east's pod address, where its sidecar serves the app's port
            west.node("node-w", "eu", "eu-a").pod("frontend-0", "node-w", "frontend", "127.0.0.21", true)
                    .pod("intruder-0", "node-w", "frontend", "127.0.0.22", true);
            east.node("node-e", "us", "us-a").service("reviews", Map.of("app", "reviews"))
                    .pod("reviews-east-0", "node-e", "reviews", reviewsIp, true)
                    .slice("reviews-e", "reviews", "reviews-east-0", reviewsIp, reviewsApp.port(), true);

            try (ClusterMesh eastMesh = ClusterMesh.start("east", east, Map.of(), trust);
                 ClusterMesh westMesh = ClusterMesh.start("west", west, Map.of("east", east), trust)) {
                SidecarProxy reviews = eastMesh.sidecar("reviews-east-0", "reviews", WorkloadCertificateSource.fixed(certificate(eastCa, "reviews")));
                ClusterMesh.await("east's sidecar serving the app's port on the pod address",
                        () -> reviews.listenerPort("inbound|" + reviewsApp.port()) > 0);
                SidecarProxy frontend = westMesh.sidecar("frontend-0", "frontend", WorkloadCertificateSource.fixed(westCertificate));
                SidecarProxy intruder = westMesh.sidecar("intruder-0", "frontend", WorkloadCertificateSource.fixed(foreignCertificate));

                HttpResponse<String> called = callReviews(frontend);
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (called.statusCode() != 200 && System.nanoTime() < deadline) { // until west has east's endpoints
                    Thread.sleep(100);
                    called = callReviews(frontend);
                }
                assertThat(called.statusCode()).as("west -> east over mTLS: " + called.body()).isEqualTo(200);
                assertThat(reviewsApp.lastClientCert.get()).as("the caller's identity, verified by east's sidecar")
                        .isEqualTo("By=spiffe://cluster.local/ns/default/sa/reviews"
                                + ";URI=spiffe://cluster.local/ns/default/sa/frontend");

                long reached = reviewsApp.requests.get();
                HttpResponse<String> refused = callReviews(intruder);
                System.out.printf("certificate from an unchained intermediate: %d %s%n", refused.statusCode(),
                        refused.body().strip());
                assertThat(refused.statusCode()).as("a call with an unchained intermediate's certificate")
                        .isEqualTo(503);
                assertThat(reviewsApp.requests.get()).as("requests that reached east's app").isEqualTo(reached);
                assertThat(callReviews(frontend).statusCode()).as("west's own workload, still").isEqualTo(200);

                // openssl as the client sends its chain whatever the server asks for: east's sidecar itself checks it.
                Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")),
                        "openssl is not installed (apt-get install openssl): the s_client checks are skipped");
                String pod = reviewsIp + ":" + reviewsApp.port();
                String westChain = openssl(Files.createDirectories(dir.resolve("west")), pod, westCertificate, root.certificate());
                assertThat(westChain).as("openssl with west's chain").contains("HTTP/1.1 200");
                long beforeForeign = reviewsApp.requests.get();
                String foreignChain = openssl(Files.createDirectories(dir.resolve("foreign")), pod, foreignCertificate,
                        root.certificate());
                System.out.printf("openssl with the unchained intermediate's chain: %s%n",
                        foreignChain.lines().filter(l -> l.contains("alert") || l.contains("error")).findFirst().orElse("?"));
                assertThat(foreignChain).as("openssl with the unchained intermediate's chain").doesNotContain("HTTP/1.1")
                        .contains("alert unknown ca");
                assertThat(reviewsApp.requests.get()).as("requests that reached east's app").isEqualTo(beforeForeign);
            }
        }
    }

    /** A certificate for {@code default/serviceAccount} signed by {@code ca} through a CSR, as the CA service does. */
    private static WorkloadCertificate certificate(CertificateAuthority ca, String serviceAccount) throws CsrRefusedException {
        KeyPair keys = KeyPairs.newEcP256();
        SpiffeId id = new SpiffeId("cluster.local", "default", serviceAccount);
        List<X509Certificate> chain = new WorkloadCsrSigner(ca, Duration.ofHours(1), DAY)
                .sign(WorkloadCsrSigner.csr(keys, id), id, Duration.ofHours(1));
        return new WorkloadCertificate(keys.getPrivate(), chain.subList(0, chain.size() - 1));
    }

    /**
     * What {@code openssl s_client}, an independent TLS client, gets from {@code address} presenting {@code certificate}
     * (leaf and intermediate, whatever the server asks for) and trusting {@code root}: the exchange of one request.
     */
    private String openssl(Path dir, String address, WorkloadCertificate certificate, X509Certificate root) throws Exception {
        Files.writeString(dir.resolve("key.pem"), Pem.write(certificate.key()));
        Files.writeString(dir.resolve("cert.pem"), Pem.write(certificate.leaf()));
        Files.writeString(dir.resolve("chain.pem"), Pem.write(certificate.chain().get(1)));
        Files.writeString(dir.resolve("root.pem"), Pem.write(root));
        Process process = new ProcessBuilder("openssl", "s_client", "-connect", address, "-key", "key.pem",
                "-cert", "cert.pem", "-cert_chain", "chain.pem", "-CAfile", "root.pem", "-verify_return_error",
                "-ign_eof").directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().write("GET / HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        process.getOutputStream().close();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish within 20 s");
        }
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> callReviews(SidecarProxy client) throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", client.listenerPort("outbound"))))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://reviews:9080/"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
