package io.meshwork.proxy.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a peer whose chain leads to one of the mesh's roots (PKIX, without revocation, as Envoy
 * validates against {@code trusted_ca}) and whose leaf names an allowed SPIFFE ID in its URI SAN
 * ({@code match_typed_subject_alt_names}); any SPIFFE ID when none is listed. No host name checks:
 * in the mesh the identity is the SPIFFE ID, not a DNS name.
 */
final class MeshTrustManager extends X509ExtendedTrustManager {

    private static final int SAN_URI = 6;
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final Set<TrustAnchor> anchors = new HashSet<>();
    private final List<X509Certificate> roots;
    private final Set<String> allowedIds;

    MeshTrustManager(List<X509Certificate> roots, Set<String> allowedIds) {
        this.roots = List.copyOf(roots);
        this.allowedIds = Set.copyOf(allowedIds);
        for (X509Certificate root : roots) {
            anchors.add(new TrustAnchor(root, null));
        }
    }

    /** The SPIFFE ID of a certificate: its URI SAN that starts with {@code spiffe://}, or null. */
    static String spiffeId(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() >= 2 && Integer.valueOf(SAN_URI).equals(name.get(0))
                            && name.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
                        return uri;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return null;
        }
        return null;
    }

    /**
     * A chain that leads to none of the roots. With BoringSSL the error code makes the peer's alert {@code unknown_ca},
     * as OpenSSL and Envoy send, rather than the {@code internal_error} of an unspecified failure; the JDK's engine
     * sends {@code certificate_unknown} for any CertificateException.
     */
    private static CertificateException unknownCa(String message, Exception cause) {
        CertificateException untrusted = OpenSsl.isAvailable()
                ? new OpenSslCertificateException(message, CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
                : new CertificateException(message);
        untrusted.initCause(cause);
        return untrusted;
    }

    private void check(X509Certificate[] chain, String usage, String peer) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException(peer + " presented no certificate");
        }
        if (anchors.isEmpty()) {
            throw new CertificateException("no trusted roots (SDS secret not received)");
        }
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate certificate : chain) {
            if (!roots.contains(certificate)) {
                path.add(certificate);
            }
        }
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (GeneralSecurityException e) {
            throw unknownCa(peer + " certificate " + chain[0].getSubjectX500Principal() + " is not trusted: "
                    + e.getMessage(), e);
        }
        X509Certificate leaf = chain[0];
        List<String> usages = leaf.getExtendedKeyUsage();
        if (usages != null && !usages.contains(usage)) {
            throw new CertificateException(peer + " certificate is not for " + (usage.equals(SERVER_AUTH)
                    ? "serverAuth" : "clientAuth"));
        }
        String id = spiffeId(leaf);
        if (id == null) {
            throw new CertificateException(peer + " certificate has no spiffe:// URI SAN");
        }
        if (!allowedIds.isEmpty() && !allowedIds.contains(id)) {
            throw new CertificateException(peer + " identity " + id + " is not one of " + new java.util.TreeSet<>(allowedIds));
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, CLIENT_AUTH, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, SERVER_AUTH, "server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return roots.toArray(new X509Certificate[0]);
    }
}
