package io.meshwork.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

    private static final Duration DAY = Duration.ofDays(1);
    private final CertificateAuthority ca = CertificateAuthority.createSelfSigned("test root", Duration.ofDays(10));

    @TempDir
    Path dir;

    @Test
    void rootIsSelfSignedAndMayOnlySign() throws Exception {
        X509Certificate root = ca.certificate();
        root.verify(root.getPublicKey());
        assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(root.getSubjectX500Principal().getName()).contains("CN=test root", "O=Meshwork");
    }

    @Test
    void leafCarriesDnsSansAndIsSignedByTheRoot() throws Exception {
        IssuedCertificate leaf = ca.issue(LeafRequest.forDnsNames(DAY, "meshwork-webhook.meshwork-system.svc",
                "meshwork-webhook.meshwork-system.svc.cluster.local"));

        leaf.certificate().verify(ca.certificate().getPublicKey());
        assertThat(leaf.certificate().getBasicConstraints()).isEqualTo(-1);
        assertThat(sans(leaf.certificate())).containsExactly(
                List.of(2, "meshwork-webhook.meshwork-system.svc"),
                List.of(2, "meshwork-webhook.meshwork-system.svc.cluster.local"));
        assertThat(leaf.certificate().getExtendedKeyUsage())
                .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    }

    @Test
    void workloadLeafCarriesItsSpiffeIdAsUriSan() throws Exception {
        SpiffeId id = new SpiffeId("cluster.local", "default", "reviews");
        IssuedCertificate leaf = ca.issue(LeafRequest.forWorkload(id, DAY));

        assertThat(sans(leaf.certificate()))
                .containsExactly(List.of(6, "spiffe://cluster.local/ns/default/sa/reviews"));
    }

    @Test
    void leafNeverOutlivesItsRoot() {
        IssuedCertificate leaf = ca.issue(LeafRequest.forDnsNames(Duration.ofDays(400), "long.example"));

        assertThat(leaf.certificate().getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
    }

    @Test
    void pemRoundTripKeepsCertificateAndKey() throws Exception {
        IssuedCertificate leaf = ca.issue(LeafRequest.forDnsNames(DAY, "a.example"));
        Path cert = Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
        Path key = Files.writeString(dir.resolve("ca.key"), ca.privateKeyPem());

        CertificateAuthority reloaded = CertificateAuthority.load(cert, key);
        IssuedCertificate second = reloaded.issue(LeafRequest.forDnsNames(DAY, "b.example"));

        assertThat(reloaded.certificate()).isEqualTo(ca.certificate());
        second.certificate().verify(ca.certificate().getPublicKey());
        assertThat(Pem.readCertificates(leaf.chainPem(), "chain")).containsExactly(leaf.certificate(), ca.certificate());
        assertThat(Pem.readPrivateKey(leaf.privateKeyPem(), "key").getEncoded())
                .isEqualTo(leaf.privateKey().getEncoded());
    }

    @Test
    void opensslVerifiesTheLeafAgainstTheRoot() throws Exception {
        assumeTrue(onPath("openssl"), "openssl is not installed: skipping the independent verification");
        IssuedCertificate leaf = ca.issue(LeafRequest.forDnsNames(DAY, "svc.example"));
        Path root = Files.writeString(dir.resolve("root.pem"), ca.certificatePem());
        Path cert = Files.writeString(dir.resolve("leaf.pem"), leaf.certificatePem());

        Process p = new ProcessBuilder("openssl", "verify", "-CAfile", root.toString(), cert.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThat(out).contains(": OK");
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void loadRefusesACertificateThatIsNotACa() throws Exception {
        IssuedCertificate leaf = ca.issue(LeafRequest.forDnsNames(DAY, "leaf.example"));

        assertThatThrownBy(() -> CertificateAuthority.fromPem(leaf.certificatePem(), leaf.privateKeyPem()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("basicConstraints");
    }

    @Test
    void pemWithoutACertificateIsAnErrorNamingTheSource() {
        assertThatThrownBy(() -> Pem.readCertificates("hello", "tls.crt"))
                .hasMessage("tls.crt: no CERTIFICATE block found");
    }

    @Test
    void spiffeIdParsesItsOwnForm() {
        assertThat(SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/cart"))
                .isEqualTo(new SpiffeId("cluster.local", "shop", "cart"));
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/shop/cart"))
                .hasMessageContaining("spiffe://cluster.local/shop/cart");
    }

    private static List<List<?>> sans(X509Certificate certificate) throws Exception {
        return List.copyOf(certificate.getSubjectAlternativeNames());
    }

    private static boolean onPath(String tool) {
        return java.util.Arrays.stream(System.getenv("PATH").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
