package io.meshwork.proxy.tls;

import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;

/**
 * A server context builder for one certificate or several: one is given to Netty as it is; several (an ECDSA and an
 * RSA certificate for the same names, say) go into one in-memory key store behind the JDK's PKIX key manager, which
 * picks, per handshake, a certificate whose key type the client's signature algorithms accept.
 */
final class ServerCertificates {

    private static final char[] IN_MEMORY = "meshwork".toCharArray(); // the store never leaves this process

    private ServerCertificates() {
    }

    static SslContextBuilder serverBuilder(List<ServerCertificate> certificates) {
        if (certificates.size() == 1) {
            ServerCertificate only = certificates.get(0);
            return SslContextBuilder.forServer(only.key(), only.chain().toArray(new X509Certificate[0]));
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < certificates.size(); i++) {
                ServerCertificate certificate = certificates.get(i);
                store.setKeyEntry("certificate-" + i, certificate.key(), IN_MEMORY,
                        certificate.chain().toArray(new X509Certificate[0]));
            }
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance("PKIX");
            keyManagers.init(store, IN_MEMORY);
            return SslContextBuilder.forServer(keyManagers);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot hold " + certificates.size() + " certificates for one listener: "
                    + e.getMessage(), e);
        }
    }
}
