package io.meshwork.injector;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.IssuedCertificate;
import io.meshwork.certs.LeafRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** A webhook server on loopback with a fresh CA, and an HTTPS client that trusts only that CA. */
final class WebhookFixture implements AutoCloseable {

    final CertificateAuthority ca = CertificateAuthority.createSelfSigned("webhook test CA", Duration.ofDays(1));
    final Path certificate;
    final Path key;
    final WebhookServer server;
    final HttpClient client;

    WebhookFixture(Path dir, InjectorConfig config) throws Exception {
        IssuedCertificate serving = ca.issue(servingRequest());
        certificate = Files.writeString(dir.resolve("tls.crt"), serving.chainPem());
        key = Files.writeString(dir.resolve("tls.key"), serving.privateKeyPem());
        server = WebhookServer.start(new InetSocketAddress("127.0.0.1", 0), certificate, key,
                new AdmissionReviewHandler(new SidecarInjector(new InjectionTemplate(config))));
        client = HttpClient.newBuilder().sslContext(trusting(ca)).connectTimeout(Duration.ofSeconds(5)).build();
    }

    static LeafRequest servingRequest() {
        return new LeafRequest("meshwork-webhook", List.of("meshwork-webhook.meshwork-system.svc"),
                List.of("127.0.0.1"), List.of(), Duration.ofHours(1));
    }

    static SSLContext trusting(CertificateAuthority ca) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    URI uri(String path) {
        return URI.create("https://127.0.0.1:" + server.address().getPort() + path);
    }

    HttpResponse<String> post(byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri("/inject")).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts an AdmissionReview for {@code object} and returns the parsed answer (status 200 asserted by callers). */
    JsonNode review(JsonNode object, String uid) throws Exception {
        HttpResponse<String> response = post(YamlDocuments.JSON.writeValueAsBytes(admissionReview(object, uid)));
        if (response.statusCode() != 200) {
            throw new AssertionError("webhook answered " + response.statusCode() + ": " + response.body());
        }
        return YamlDocuments.JSON.readTree(response.body());
    }

    /** An AdmissionReview as the API server sends it for a CREATE of a Pod in namespace {@code shop}. */
    static ObjectNode admissionReview(JsonNode object, String uid) {
        ObjectNode review = YamlDocuments.JSON.createObjectNode();
        review.put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request");
        request.put("uid", uid == null ? UUID.randomUUID().toString() : uid);
        String kind = object.path("kind").asString("Pod");
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", kind);
        request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
        request.put("namespace", "shop").put("operation", "CREATE");
        request.putObject("userInfo").put("username", "system:serviceaccount:kube-system:replicaset-controller");
        request.set("object", object);
        request.putNull("oldObject");
        request.put("dryRun", false);
        return review;
    }

    static ObjectNode pod(String resource) {
        try (InputStream in = WebhookFixture.class.getResourceAsStream("/" + resource)) {
            return (ObjectNode) YamlDocuments.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
