package io.meshwork.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.IssuedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook picks up a rotated certificate without a restart, and survives a bad rotation. */
class ServingCertificateTest {

    @TempDir
    Path dir;

    @Test
    void newConnectionsGetTheRotatedCertificate() throws Exception {
        try (WebhookFixture webhook = new WebhookFixture(dir, InjectorConfig.defaults())) {
            X509Certificate before = peerCertificate(webhook, webhook.ca);
            IssuedCertificate rotated = webhook.ca.issue(WebhookFixture.servingRequest());

            replace(webhook.certificate, rotated.chainPem());
            replace(webhook.key, rotated.privateKeyPem());

            X509Certificate after = awaitCertificateOtherThan(webhook, before);
            assertThat(after).isEqualTo(rotated.certificate());
        }
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateKeepsTheOldOneServing() throws Exception {
        try (WebhookFixture webhook = new WebhookFixture(dir, InjectorConfig.defaults())) {
            X509Certificate before = peerCertificate(webhook, webhook.ca);
            IssuedCertificate other = webhook.ca.issue(WebhookFixture.servingRequest());

            replace(webhook.key, other.privateKeyPem()); // only the key rotated: a half-done update
            Thread.sleep(600); // past the reload check interval

            assertThat(peerCertificate(webhook, webhook.ca)).isEqualTo(before);
        }
    }

    @Test
    void startingWithAMismatchedPairIsAnErrorNamingTheFiles() throws Exception {
        CertificateAuthority ca = CertificateAuthority.createSelfSigned("ca", Duration.ofDays(1));
        Path cert = Files.writeString(dir.resolve("tls.crt"), ca.issue(WebhookFixture.servingRequest()).certificatePem());
        Path key = Files.writeString(dir.resolve("tls.key"), ca.issue(WebhookFixture.servingRequest()).privateKeyPem());

        assertThatThrownBy(() -> new ServingCertificate(cert, key))
                .hasMessageContaining("does not belong to certificate").hasMessageContaining("tls.crt");
    }

    private static X509Certificate awaitCertificateOtherThan(WebhookFixture webhook, X509Certificate old)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        X509Certificate current = peerCertificate(webhook, webhook.ca);
        while (current.equals(old) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            current = peerCertificate(webhook, webhook.ca);
        }
        return current;
    }

    private static X509Certificate peerCertificate(WebhookFixture webhook, CertificateAuthority ca) throws Exception {
        try (SSLSocket socket = (SSLSocket) WebhookFixture.trusting(ca).getSocketFactory()
                .createSocket("127.0.0.1", webhook.server.address().getPort())) {
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /** Writes then renames, as kubelet's atomic writer does for Secret volumes. */
    private void replace(Path target, String content) throws Exception {
        Path tmp = Files.writeString(dir.resolve(target.getFileName() + ".new"), content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
