package io.meshwork.proxy.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate a gateway listener presents, with its key: an SDS Secret's {@code tls_certificate}, which the control
 * plane serves to gateways only (a sidecar's own certificate comes from the CA, never over xDS).
 */
public record ServerCertificate(PrivateKey key, List<X509Certificate> chain) {

    public ServerCertificate {
        chain = List.copyOf(chain);
    }

    @Override
    public String toString() {
        return "ServerCertificate[" + chain.get(0).getSubjectX500Principal() + ", key hidden]";
    }
}
