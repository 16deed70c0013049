package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.proxy.GatewayProxy;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS listeners of a {@code mesh gateway} in a cluster: a real Kubernetes-mode control plane on fabric8's mock API
 * server (CRUD mode) and a real gateway; its certificates are kubernetes.io/tls Secrets made by openssl, checked with
 * {@code openssl s_client -servername}. The control plane watches Secrets only in the namespaces Gateways refer to
 * (never cluster-wide, with the field selector type=kubernetes.io/tls); a rotated Secret's new certificate is served; a
 * missing Secret leaves its listener out; a namespace whose Secrets the API server refuses (403, as without the Role of
 * {@code mesh install --gateway}) costs that Gateway's listener one line, and everything else is still served.
 */
class KubernetesGatewayTlsTest {

    private static final int PORT = freePort();
    private static final int LOCKED_PORT = freePort();
    private static final List<String> PATHS = new CopyOnWriteArrayList<>();
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    /** Whether the API server refuses this control plane the Secrets of namespace "locked" (no Role there yet). */
    private static volatile boolean lockedForbidden = true;

    @TempDir
    static Path dir;
    private static PrintStream stderr;
    private static KubernetesMockServer server;
    private static KubernetesClient client;
    private static ControlPlane controlPlane;
    private static GatewayProxy gateway;
    private static io.meshwork.controlplane.ca.CaServer ca;
    private static final io.meshwork.certs.CertificateAuthority ROOT =
            io.meshwork.certs.CertificateAuthority.createSelfSigned("mesh root", Duration.ofDays(1));
    /** What the API server's TokenReview says of each token: the pods' projected ServiceAccount tokens. */
    private static final Map<String, io.meshwork.controlplane.ca.CallerAuthenticator.Caller> TOKENS = Map.of(
            "web-token", caller("default", "web-meshwork", "web-meshwork-7c9d-x1"),
            "locked-web-token", caller("locked", "locked-web-meshwork", "locked-web-meshwork-5f6b-y2"),
            "reviews-token", caller("default", "reviews", "reviews-v1-6d8f-z3"));

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(installed(), "openssl is not installed");
        // The control plane's log (slf4j-simple writes to System.err), kept to check its lines.
        stderr = System.err;
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                stderr.write(b);
                synchronized (LOG) {
                    LOG.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                stderr.write(b, off, len);
                synchronized (LOG) {
                    LOG.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                PATHS.add(request.getMethod() + " " + request.getPath());
                // No Role of mesh install --gateway in namespace "locked": its Secrets are forbidden.
                if (lockedForbidden && request.getPath().startsWith("/api/v1/namespaces/locked/secrets")
                        && request.getMethod().equals("GET")) {
                    return new MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                            + "\"status\":\"Failure\",\"message\":\"secrets is forbidden: User "
                            + "\\\"system:serviceaccount:meshwork-system:meshwork-control-plane\\\" cannot list resource "
                            + "\\\"secrets\\\" in API group \\\"\\\" in the namespace \\\"locked\\\"\",\"reason\":\"Forbidden\","
                            + "\"code\":403}");
                }
                return super.dispatch(request);
            }
        }, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();

        client.genericKubernetesResources(KubernetesSource.GATEWAY_CLASS.context()).resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("gateway.networking.k8s.io/v1").withKind("GatewayClass").withNewMetadata().withName("meshwork")
                .endMetadata().addToAdditionalProperties("spec", Map.of("controllerName", "meshwork.io/gateway-controller"))
                .build()).create();
        client.secrets().inNamespace("default").resource(secret("a-cert", "a.example.com", "")).create();
        // Not a certificate: never read.
        client.secrets().inNamespace("default").resource(new SecretBuilder().withNewMetadata().withName("db-password")
                .withNamespace("default").endMetadata().withType("Opaque").addToStringData("password", "hunter2").build())
                .create();
        gateways().inNamespace("default").resource(gateway("web", "default", PORT, List.of(
                listener("a", PORT, "a.example.com", "a-cert"), listener("b", PORT, "b.example.com", "b-cert"))))
                .create();
        gateways().inNamespace("locked").resource(gateway("locked-web", "locked", LOCKED_PORT, List.of(
                listener("https", LOCKED_PORT, "c.example.com", "c-cert")))).create();

        controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), server.createClient(),
                new KubernetesMode.LeaderElection("meshwork-system", "meshwork-control-plane", "cp-1",
                        Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2)));
        controlPlane.trust(new io.meshwork.controlplane.model.TrustBundle("cluster.local",
                List.of(io.meshwork.certs.Pem.write(ROOT.certificate()))));
        controlPlane.start();
        // The CA's TLS port serving xDS to authenticated callers, as mesh control-plane --kubernetes runs it.
        ca = new io.meshwork.controlplane.ca.CaServer(new java.net.InetSocketAddress("127.0.0.1", 0),
                new io.meshwork.certs.WorkloadCsrSigner(ROOT, Duration.ofHours(1), Duration.ofHours(2)), token -> {
                    var caller = TOKENS.get(token);
                    if (caller == null) {
                        throw new io.meshwork.controlplane.ca.CallerAuthenticator.CallerRejectedException("unknown token");
                    }
                    return caller;
                }, controlPlane.meters(), controlPlane.issuedCertificates(), controlPlane.aggregatedDiscoveryService())
                .start();
        Files.writeString(dir.resolve("root-cert.pem"), ROOT.certificatePem());
        gateway = gateway("web", "default", "web-meshwork", "web-token");
        ClusterMesh.await("the gateway's HTTPS listener serving a.example.com's certificate", () ->
                handshake("a.example.com").contains("subject=CN = a.example.com"));
    }

    /**
     * A gateway wired as mesh install --gateway wires it: xDS on the CA's TLS port with its pod's token, a workload
     * certificate from the CA.
     */
    private static GatewayProxy gateway(String name, String namespace, String serviceAccount, String token)
            throws Exception {
        Path tokenFile = Files.writeString(dir.resolve(token), token);
        io.meshwork.proxy.identity.CaClient identity = new io.meshwork.proxy.identity.CaClient(
                new io.meshwork.proxy.identity.CaClient.Options("127.0.0.1:" + ca.port(), dir.resolve("root-cert.pem"),
                        tokenFile, new io.meshwork.certs.SpiffeId("cluster.local", namespace, serviceAccount),
                        Duration.ZERO)).start(Duration.ofSeconds(30));
        return new GatewayProxy(new SidecarProxy.Options("127.0.0.1:" + ca.port(),
                NodeIdentity.gateway(name, namespace, serviceAccount, "test", "127.0.0.1:0", "127.0.0.1:0"),
                "127.0.0.1", 0, 0, 0, 0, 0, Duration.ofSeconds(1), 1, AppProbes.none(), identity)).start();
    }

    private static io.meshwork.controlplane.ca.CallerAuthenticator.Caller caller(String namespace, String serviceAccount,
                                                                                 String pod) {
        return new io.meshwork.controlplane.ca.CallerAuthenticator.Caller(
                new io.meshwork.certs.SpiffeId("cluster.local", namespace, serviceAccount), pod);
    }

    @AfterAll
    static void stop() throws Exception {
        if (stderr != null) {
            System.setErr(stderr);
        }
        if (gateway != null) {
            gateway.close();
        }
        if (ca != null) {
            ca.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        if (client != null) {
            client.close();
            server.destroy();
        }
    }

    @Test
    void theGatewayIsProgrammedOnceItsMeshGatewayAckedOverTheCaPort() throws Exception {
        ClusterMesh.await("Gateway default/web Programmed True", () ->
                KubernetesGatewayStatusTest.programmed(client).equals("True Programmed"));
        assertThat(KubernetesGatewayStatusTest.listenerProgrammed(client)).isEqualTo("True Programmed");
    }

    @Test
    void theListenersSecretIsServedForItsServerName() {
        assertThat(handshake("a.example.com")).contains("subject=CN = a.example.com");
    }

    @Test
    void secretsAreReadOnlyInTheGatewaysNamespacesAndOnlyOfTypeTls() {
        List<String> secretRequests = PATHS.stream().filter(p -> p.startsWith("GET ")
                && p.contains("secrets")).toList();

        assertThat(secretRequests).isNotEmpty().allSatisfy(p -> assertThat(p)
                .matches("GET /api/v1/namespaces/(default|locked)/secrets\\?.*")
                .contains("fieldSelector=type%3Dkubernetes.io%2Ftls"));
        assertThat(log()).doesNotContain("db-password");
    }

    @Test
    void aRotatedSecretsNewCertificateIsServed() throws Exception {
        client.secrets().inNamespace("default").resource(secret("a-cert", "a.example.com", "/O=rotated")).update();

        ClusterMesh.await("the rotated certificate", () -> handshake("a.example.com").contains("O = rotated"));
        assertThat(log()).as("no key material in the control plane's log")
                .doesNotContain(keyLine("a.example.com"), keyLine("a.example.com/O=rotated"));
    }

    @Test
    void aMissingSecretLeavesItsListenerOutWithOneLineUntilItIsCreated() throws Exception {
        ClusterMesh.await("the line about b-cert", () -> log().contains("b-cert"));
        assertThat(log().lines().filter(l -> l.contains("default/b-cert"))).singleElement().asString()
                .endsWith("Gateway default/web: spec.listeners[1].tls.certificateRefs[0]: Secret default/b-cert is not a "
                        + "kubernetes.io/tls Secret that Meshwork has read (InvalidCertificateRef): listener \"b\" is not "
                        + "served");
        assertThat(handshake("b.example.com")).as("no chain for b.example.com").contains("no peer certificate available");

        client.secrets().inNamespace("default").resource(secret("b-cert", "b.example.com", "")).create();

        ClusterMesh.await("b.example.com's certificate once its Secret exists", () ->
                handshake("b.example.com").contains("subject=CN = b.example.com"));
        assertThat(handshake("a.example.com")).contains("subject=CN = a.example.com");
    }

    @Test
    void aNamespaceWhoseSecretsAreForbiddenCostsItsListenerOneLineNamingTheGrant() throws Exception {
        ClusterMesh.await("the line about locked/c-cert", () -> log().contains("locked/c-cert"));

        assertThat(log().lines().filter(l -> l.contains("locked/c-cert"))).singleElement().asString()
                .endsWith("kubernetes: warning: Gateway locked/locked-web: spec.listeners[0].tls.certificateRefs[0]: "
                        + "listener \"https\" is not served: the control plane may not read Secret locked/c-cert (403 "
                        + "Forbidden: it reads Secrets only in namespaces granted by mesh install --gateway); grant it "
                        + "with: mesh install --gateway locked/locked-web");
        assertThat(handshake("a.example.com")).as("everything else is still served").contains("subject=CN = a.example.com");

        // The grant applied (kubectl apply of mesh install --gateway locked/locked-web): no restart needed.
        client.secrets().inNamespace("locked").resource(new SecretBuilder(secret("c-cert", "c.example.com", ""))
                .editMetadata().withNamespace("locked").endMetadata().build()).create();
        lockedForbidden = false;
        try (GatewayProxy locked = gateway("locked-web", "locked", "locked-web-meshwork", "locked-web-token")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!handshake(LOCKED_PORT, "c.example.com").contains("subject=CN = c.example.com")) {
                assertThat(System.nanoTime()).as("c.example.com served once the control plane may read locked's Secrets")
                        .isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    @Test
    void aGatewaysConfigAndKeysGoNeitherToAnotherAccountNorOverPlaintext() throws Exception {
        try (GatewayProxy intruder = gateway("web", "default", "reviews", "reviews-token")) {
            ClusterMesh.await("the refusal of reviews asking for Gateway web", () -> log().contains(
                    "xDS: refused spiffe://cluster.local/ns/default/sa/reviews: gateway node router~web.default~test"));
            assertThat(intruder.proxy().configStore().current().listeners()).isEmpty();
        }
        try (GatewayProxy plaintext = new GatewayProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                NodeIdentity.gateway("web", "default", "web-meshwork", "plain", "127.0.0.1:0", "127.0.0.1:0"),
                "127.0.0.1", 0, 0, 0, 0, 0, Duration.ofSeconds(1), 1, AppProbes.none(), null)).start()) {
            ClusterMesh.await("the refusal on the plaintext port", () -> log().contains(
                    "xDS: refused gateway node router~web.default~plain on the plaintext port"));
            assertThat(plaintext.proxy().configStore().current().listeners()).isEmpty();
        }
    }

    private static String log() {
        synchronized (LOG) {
            return LOG.toString(StandardCharsets.UTF_8);
        }
    }

    private static io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> gateways() {
        return client.genericKubernetesResources(KubernetesSource.GATEWAY.context());
    }

    private static Map<String, Object> listener(String name, int port, String hostname, String secret) {
        Map<String, Object> listener = new LinkedHashMap<>();
        listener.put("name", name);
        listener.put("port", port);
        listener.put("protocol", "HTTPS");
        listener.put("hostname", hostname);
        listener.put("tls", Map.of("mode", "Terminate", "certificateRefs", List.of(Map.of("name", secret))));
        return listener;
    }

    private static GenericKubernetesResource gateway(String name, String namespace, int port,
                                                     List<Map<String, Object>> listeners) {
        return new GenericKubernetesResourceBuilder().withApiVersion("gateway.networking.k8s.io/v1").withKind("Gateway")
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .addToAdditionalProperties("spec", Map.of("gatewayClassName", "meshwork", "listeners",
                        new ArrayList<>(listeners)))
                .build();
    }

    /** A self-signed certificate for {@code host} made by openssl, subject CN=host then {@code more}, as a TLS Secret. */
    private static Secret secret(String name, String host, String more) throws Exception {
        String file = (host + more).replaceAll("[^a-z0-9]", "_");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-keyout", file + ".key", "-out", file + ".crt",
                "-subj", "/CN=" + host + more, "-addext", "subjectAltName=DNS:" + host)
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(openssl.waitFor()).as(output).isZero();
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", base64(Files.readString(dir.resolve(file + ".crt"))))
                .addToData("tls.key", base64(Files.readString(dir.resolve(file + ".key"))))
                .build();
    }

    /** A line of the private key of {@code host + more}'s certificate, as PEM, to look for in the log. */
    private static String keyLine(String hostAndMore) {
        try {
            String file = hostAndMore.replaceAll("[^a-z0-9]", "_");
            return Files.readString(dir.resolve(file + ".key")).lines().skip(1).findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String base64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String handshake(String serverName) {
        return handshake(PORT, serverName);
    }

    private static String handshake(int port, String serverName) {
        try {
            Process openssl = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername",
                    serverName).redirectErrorStream(true).start();
            openssl.getOutputStream().close();
            String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!openssl.waitFor(20, TimeUnit.SECONDS)) {
                openssl.destroyForcibly();
            }
            return output;
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static boolean installed() {
        try {
            return new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
