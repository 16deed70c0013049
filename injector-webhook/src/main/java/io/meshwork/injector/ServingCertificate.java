package io.meshwork.injector;

import io.meshwork.certs.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's TLS certificate and key, read from PEM files and read again when either file
 * changes (a Kubernetes Secret volume or cert-manager rotating them). A half-written or
 * mismatched pair is refused and the previous certificate keeps serving.
 */
final class ServingCertificate {

    private static final Logger LOG = LoggerFactory.getLogger(ServingCertificate.class);
    /** Checking file times costs two system calls; once per interval is plenty for rotation. */
    private static final long CHECK_INTERVAL_NANOS = 500_000_000L;

    private final Path certificateFile;
    private final Path keyFile;
    private volatile SslContext context;
    private volatile String stamp;
    private volatile long lastCheck;

    ServingCertificate(Path certificateFile, Path keyFile) {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.stamp = stamp();
        this.context = load(); // the first load must succeed: a webhook without a certificate is useless
        this.lastCheck = System.nanoTime();
    }

    /** The context for a new connection, reloaded first when the files changed. */
    SslContext current() {
        long now = System.nanoTime();
        if (now - lastCheck >= CHECK_INTERVAL_NANOS) {
            lastCheck = now;
            String seen = stamp();
            if (!Objects.equals(seen, stamp)) {
                try {
                    context = load();
                    stamp = seen;
                    LOG.info("Reloaded webhook certificate from {}", certificateFile);
                } catch (RuntimeException e) {
                    // Keep serving with the old pair; the next check tries again.
                    LOG.warn("Webhook certificate {} changed but cannot be used yet: {}", certificateFile, e.getMessage());
                }
            }
        }
        return context;
    }

    private SslContext load() {
        List<X509Certificate> chain = Pem.readCertificates(certificateFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        requireMatch(chain.get(0), key);
        try {
            return SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("webhook certificate " + certificateFile + ": " + e.getMessage(), e);
        }
    }

    private void requireMatch(X509Certificate certificate, PrivateKey key) {
        byte[] probe = "meshwork".getBytes(StandardCharsets.US_ASCII);
        String algorithm = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // falls through: a key of another type does not match either
        }
        throw new IllegalArgumentException("webhook key " + keyFile + " does not belong to certificate " + certificateFile);
    }

    private String stamp() {
        try {
            return Files.getLastModifiedTime(certificateFile).toMillis() + ":" + Files.size(certificateFile) + "/"
                    + Files.getLastModifiedTime(keyFile).toMillis() + ":" + Files.size(keyFile);
        } catch (IOException e) {
            return "missing";
        }
    }
}
