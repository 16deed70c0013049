package io.meshwork.proxy.tls;

import static io.meshwork.proxy.testing.MeshConfigFolder.meshedWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.OpenSslCommand;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestIdentities;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMI TrafficTargets enforced by reviews' sidecar on identities proven with mutual TLS: productpage's
 * sidecar is allowed (only GET /reviews/... once a rule says so), ratings' gets 403 naming its identity,
 * a TCP port closes connections from sources no target allows, and removing the target opens the
 * workload again within a second.
 */
class TrafficTargetTest {

    private static final String TARGET = MeshConfigFolder.trafficTarget("reviews", "productpage") + "%s";

    @TempDir
    Path dir;
    private final TestIdentities ca = new TestIdentities("mesh root");
    private TestBackend app;
    private ServerSocket tcpEcho;
    private MeshConfigFolder config;
    private ControlPlane controlPlane;
    private SidecarProxy reviews;
    private SidecarProxy productpage;
    private SidecarProxy ratings;
    private int httpPort;
    private int tcpPort;

    @BeforeEach
    void start() throws Exception {
        app = new TestBackend("reviews-app");
        tcpEcho = new ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
        Thread echo = new Thread(this::echoLoop, "tcp-echo");
        echo.setDaemon(true);
        echo.start();
        httpPort = FreePort.pick();
        tcpPort = FreePort.pick();
        config = new MeshConfigFolder(Files.createDirectories(dir.resolve("config")))
                .write("reviews.yaml", service("reviews", 9080, "http", Map.of("app", "reviews")),
                        service("reviews-db", 9999, "tcp", Map.of("app", "reviews")),
                        meshedWorkload("reviews-1", Map.of("app", "reviews"), "reviews",
                                new java.util.TreeMap<>(Map.of("http", httpPort, "tcp", tcpPort)),
                                new java.util.TreeMap<>(Map.of("http", app.port(), "tcp", tcpEcho.getLocalPort()))))
                .write("target.yaml", TARGET.formatted(""));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), config.dir());
        controlPlane.trust(ca.trust());
        controlPlane.start();
        reviews = sidecar("reviews-1", "reviews");
        productpage = sidecar("productpage", "productpage");
        ratings = sidecar("ratings", "ratings");
        Eventually.await(Duration.ofSeconds(15), "reviews' inbound listeners",
                () -> reviews.listenerPort("inbound|" + httpPort) > 0 && reviews.listenerPort("inbound|" + tcpPort) > 0);
    }

    private SidecarProxy sidecar(String workload, String serviceAccount) throws InterruptedException {
        SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                new NodeIdentity(workload, "default", serviceAccount, "test"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(1), 1, AppProbes.none(),
                WorkloadCertificateSource.fixed(ca.issue("default", serviceAccount, Duration.ofHours(1))))).start();
        Eventually.await(Duration.ofSeconds(15), workload + "'s first complete config",
                () -> sidecar.configStore().hasCompleteConfig() && sidecar.listenerPort("outbound") > 0);
        return sidecar;
    }

    @AfterEach
    void stop() throws Exception {
        for (SidecarProxy sidecar : new SidecarProxy[] {ratings, productpage, reviews}) {
            if (sidecar != null) {
                sidecar.drainAndStop();
            }
        }
        controlPlane.close();
        app.close();
        tcpEcho.close();
    }

    private void echoLoop() {
        while (!tcpEcho.isClosed()) {
            try (Socket socket = tcpEcho.accept()) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                byte[] buffer = new byte[1024];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (java.io.IOException e) {
                // closed
            }
        }
    }

    private static HttpResponse<String> get(SidecarProxy from, String path) throws Exception {
        HttpClient client = HttpClient.newBuilder()
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", from.listenerPort("outbound"))))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create("http://reviews:9080" + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status of GET {@code path} from {@code from}, or -1 when the request failed. */
    private static int status(SidecarProxy from, String path) {
        try {
            return get(from, path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** What reviews' TCP port echoes to openssl presenting a certificate of {@code serviceAccount}. */
    private String tcpEchoAs(String serviceAccount) throws Exception {
        Path client = dir.resolve(serviceAccount);
        TestIdentities.write(ca.issue("default", serviceAccount, Duration.ofHours(1)), ca.root(), client);
        return OpenSslCommand.runFor(Duration.ofSeconds(2), client, "ping-from-" + serviceAccount + "\n", "s_client", "-connect",
                "127.0.0.1:" + tcpPort, "-quiet", "-CAfile", "root.pem", "-cert", "cert.pem", "-cert_chain",
                "intermediates.pem", "-key", "key.pem").output();
    }

    @Test
    void aTcpPortClosesConnectionsFromSourcesNoTargetAllows() throws Exception {
        OpenSslCommand.assumeInstalled();

        assertThat(tcpEchoAs("productpage")).contains("ping-from-productpage");
        assertThat(tcpEchoAs("ratings")).doesNotContain("ping-from-ratings");
    }

    @Test
    void theAllowedSourcePassesAnotherServiceAccountGets403NamingItsIdentity() throws Exception {
        assertThat(get(productpage, "/hello").statusCode()).isEqualTo(200);

        HttpResponse<String> refused = get(ratings, "/hello");

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("RBAC: access denied")
                .contains("spiffe://cluster.local/ns/default/sa/ratings")
                .contains("default/reviews-from-productpage");
        assertThat(reviews.metrics().scrape())
                .contains("source_identity=\"spiffe://cluster.local/ns/default/sa/ratings\"")
                .containsPattern("mesh_authorization_decisions_total\\{decision=\"deny\",destination_identity="
                        + "\"spiffe://cluster.local/ns/default/sa/reviews\",source_identity=\"spiffe://cluster.local/ns/"
                        + "default/sa/ratings\"\\} 1.0");
    }

    @Test
    void aRuleLimitsTheAllowedSourceToTheRequestsOfItsRouteGroup() throws Exception {
        config.write("routes.yaml", """
                apiVersion: specs.smi-spec.io/v1alpha4
                kind: HTTPRouteGroup
                metadata:
                  name: reviews-api
                  namespace: default
                spec:
                  matches:
                  - name: read
                    pathRegex: /hello.*
                    methods: [GET]
                """);
        config.write("target.yaml", TARGET.formatted("""
                  rules:
                  - kind: HTTPRouteGroup
                    name: reviews-api
                    matches: [read]
                """));
        Eventually.await(Duration.ofSeconds(10), "the rule applied", () -> status(productpage, "/admin") == 403);

        assertThat(get(productpage, "/hello/1").statusCode()).isEqualTo(200);
        assertThat(get(productpage, "/admin").body()).contains("no TrafficTarget allows "
                + "spiffe://cluster.local/ns/default/sa/productpage to GET /admin");
    }

    @Test
    void aRemovedTargetOpensTheWorkloadWithinASecond() throws Exception {
        assertThat(get(ratings, "/hello").statusCode()).isEqualTo(403);

        Files.delete(config.dir().resolve("target.yaml"));
        long removed = System.nanoTime();
        Eventually.await(Duration.ofSeconds(5), "ratings allowed", () -> status(ratings, "/hello") == 200);
        long tookMillis = (System.nanoTime() - removed) / 1_000_000;

        assertThat(tookMillis).as("milliseconds until the removal took effect").isLessThan(1000);
    }
}
