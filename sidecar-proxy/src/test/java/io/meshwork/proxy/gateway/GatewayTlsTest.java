package io.meshwork.proxy.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.GatewayMesh;
import io.meshwork.proxy.testing.OpenSslCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS termination at {@code mesh gateway}, checked with openssl and curl as independent clients: two HTTPS listeners
 * on one port with their own certificates (made by openssl here, in Secrets as Kubernetes holds them), picked by SNI;
 * a name no listener has is refused before any certificate is sent, unless a listener without hostname takes it; and
 * a request through the terminated TLS reaches the backend its HTTPRoute names.
 */
class GatewayTlsTest {

    private static final int PORT = FreePort.pick();
    private static final String ROUTE = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: store, namespace: default}
            spec:
              parentRefs: [{name: web}]
              rules:
              - backendRefs: [{name: store, port: 8080}]
              - matches: [{path: {type: Exact, value: /old}}]
                filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}}}]
            """;

    @TempDir
    static Path dir;
    private static GatewayMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        OpenSslCommand.assumeInstalled();
        Path config = Files.createDirectories(dir.resolve("config"));
        mesh = new GatewayMesh(config, List.of(PORT), gateway(""), secret("a"), secret("b"), ROUTE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
    }

    /** Two HTTPS listeners on {@link #PORT}, a.example.com and b.example.com, each with its own Secret; and {@code more}. */
    private static String gateway(String more) {
        return GatewayMesh.gateway("""
                - {name: a, port: %1$d, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: a-cert}]}}
                - {name: b, port: %1$d, protocol: HTTPS, hostname: b.example.com, tls: {certificateRefs: [{name: b-cert}]}}
                """.formatted(PORT) + more);
    }

    private static final java.util.Map<String, String> SECRETS = new java.util.HashMap<>();

    /**
     * A self-signed certificate for {@code <name>.example.com} made by openssl, as a kubernetes.io/tls Secret; made
     * once per name, so that {@code <name>.crt} stays the certificate every later write of the config serves.
     */
    private static String secret(String name) throws Exception {
        String made = SECRETS.get(name);
        if (made == null) {
            made = newSecret(name);
            SECRETS.put(name, made);
        }
        return made;
    }

    private static String newSecret(String name) throws Exception {
        OpenSslCommand.Result made = OpenSslCommand.run(dir, "", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-keyout", name + ".key", "-out", name + ".crt",
                "-subj", "/CN=" + name + ".example.com", "-addext", "subjectAltName=DNS:" + name + ".example.com");
        assertThat(made.exitCode()).as(made.output()).isZero();
        return """
                apiVersion: v1
                kind: Secret
                metadata: {name: %s-cert, namespace: default}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                %s
                  tls.key: |
                %s
                """.formatted(name, Files.readString(dir.resolve(name + ".crt")).strip().indent(4).stripTrailing(),
                Files.readString(dir.resolve(name + ".key")).strip().indent(4).stripTrailing());
    }

    private static String handshake(String serverName) throws Exception {
        return OpenSslCommand.run(dir, "", "s_client", "-connect", "127.0.0.1:" + PORT, "-servername", serverName)
                .output();
    }

    /** A TLS 1.3 handshake offering only {@code sigalgs} (openssl's list form, e.g. {@code ECDSA+SHA256}). */
    private static String handshake(String serverName, String sigalgs) throws Exception {
        return OpenSslCommand.run(dir, "", "s_client", "-connect", "127.0.0.1:" + PORT, "-servername", serverName,
                "-tls1_3", "-sigalgs", sigalgs).output();
    }

    @Test
    void eachServerNameGetsItsListenersCertificate() throws Exception {
        assertThat(handshake("a.example.com")).contains("subject=CN = a.example.com")
                .doesNotContain("b.example.com");
        assertThat(handshake("b.example.com")).contains("subject=CN = b.example.com")
                .doesNotContain("a.example.com");
    }

    @Test
    void anUnknownServerNameIsRefusedUnlessAListenerWithoutHostnameTakesIt() throws Exception {
        assertThat(handshake("c.example.com")).as("no chain for c.example.com, as Envoy without a default chain")
                .contains("no peer certificate available");

        mesh.config.write("gateway.yaml", gateway("""
                - {name: any, port: %d, protocol: HTTPS, tls: {certificateRefs: [{name: a-cert}]}}
                """.formatted(PORT)), secret("a"), secret("b"), ROUTE);
        try {
            Eventually.await(Duration.ofSeconds(10), "the listener without hostname serving c.example.com", () -> {
                try {
                    return handshake("c.example.com").contains("subject=CN = a.example.com");
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(handshake("b.example.com")).as("a listener's own name still wins")
                    .contains("subject=CN = b.example.com");
        } finally {
            mesh.config.write("gateway.yaml", gateway(""), secret("a"), secret("b"), ROUTE);
        }
    }

    @Test
    void aListenerWithAnEcdsaAndAnRsaCertificateServesEachToTheClientsThatAskForItsKeyType() throws Exception {
        OpenSslCommand.Result made = OpenSslCommand.run(dir, "", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                "1", "-keyout", "a-rsa.key", "-out", "a-rsa.crt", "-subj", "/CN=a.example.com RSA",
                "-addext", "subjectAltName=DNS:a.example.com");
        assertThat(made.exitCode()).as(made.output()).isZero();
        String rsaSecret = secret("a").replace("name: a-cert", "name: a-rsa-cert")
                .replace(Files.readString(dir.resolve("a.crt")).strip().indent(4).stripTrailing(),
                        Files.readString(dir.resolve("a-rsa.crt")).strip().indent(4).stripTrailing())
                .replace(Files.readString(dir.resolve("a.key")).strip().indent(4).stripTrailing(),
                        Files.readString(dir.resolve("a-rsa.key")).strip().indent(4).stripTrailing());
        String both = gateway("").replace("certificateRefs: [{name: a-cert}]",
                "certificateRefs: [{name: a-cert}, {name: a-rsa-cert}]");
        mesh.config.write("gateway.yaml", both, secret("a"), rsaSecret, secret("b"), ROUTE);
        try {
            Eventually.await(Duration.ofSeconds(10), "the RSA certificate served to an RSA-only client", () -> {
                try {
                    return handshake("a.example.com", "RSA-PSS+SHA256:RSA+SHA256").contains("subject=CN = a.example.com RSA");
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(handshake("a.example.com", "ECDSA+SHA256")).as("an ECDSA-only client gets the ECDSA certificate")
                    .contains("subject=CN = a.example.com").doesNotContain("a.example.com RSA");
            assertThat(handshake("a.example.com")).as("a client taking either gets one of them")
                    .contains("subject=CN = a.example.com");
        } finally {
            mesh.config.write("gateway.yaml", gateway(""), secret("a"), secret("b"), ROUTE);
        }
    }

    @Test
    void curlWithTheListenersCaGetsTheBackendsAnswer() throws Exception {
        assumeTrue(installed("curl"), "curl is not installed (apt-get install curl)");
        Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--resolve",
                "a.example.com:" + PORT + ":127.0.0.1", "--cacert", dir.resolve("a.crt").toString(),
                "-w", "\n%{http_code} %{http_version}", "https://a.example.com:" + PORT + "/cart")
                .redirectErrorStream(true).start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();

        System.out.println("GatewayTlsTest curl: " + output.replace('\n', '|'));
        assertThat(output.lines().toList()).containsExactly("store /cart", "200 2");

        Process redirect = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--resolve",
                "a.example.com:" + PORT + ":127.0.0.1", "--cacert", dir.resolve("a.crt").toString(), "-o", "/dev/null",
                "-w", "%{http_code} %{redirect_url}", "https://a.example.com:" + PORT + "/old?x=1")
                .redirectErrorStream(true).start();
        String redirected = new String(redirect.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(redirect.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(redirected).as("a redirect keeps the scheme the client used").isEqualTo("302 https://a.example.com:"
                + PORT + "/new?x=1");
    }

    @Test
    void theConfigDumpShowsTheCertificatesButNotTheirKeys() throws Exception {
        String dump = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + mesh.gateway.proxy().adminPort() + "/config_dump")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String key = Files.readString(dir.resolve("a.key"));
        String keyBase64 = java.util.Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.US_ASCII));

        assertThat(dump).contains("\"default/a-cert\"", "\"default/b-cert\"", "[redacted]");
        assertThat(dump).doesNotContain(keyBase64.substring(0, 40), key.lines().skip(1).findFirst().orElseThrow());
    }

    private static boolean installed(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
