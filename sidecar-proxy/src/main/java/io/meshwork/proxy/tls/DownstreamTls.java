package io.meshwork.proxy.tls;

import java.util.List;

/**
 * TLS on an inbound filter chain, as its {@code DownstreamTlsContext} says it: present the sidecar's own certificate
 * or, on a gateway, the SDS secrets {@code certificateSecrets} (the first is served), and (when
 * {@code requireClientCertificate}) accept only clients whose certificate chains to the roots of SDS secret
 * {@code rootsSecret} (null: none named).
 */
public record DownstreamTls(String rootsSecret, boolean requireClientCertificate, List<String> alpn,
                            List<String> certificateSecrets) {

    public DownstreamTls {
        alpn = List.copyOf(alpn);
        certificateSecrets = List.copyOf(certificateSecrets);
    }

    /** Mutual TLS with the sidecar's own certificate. */
    public DownstreamTls(String rootsSecret, boolean requireClientCertificate, List<String> alpn) {
        this(rootsSecret, requireClientCertificate, alpn, List.of());
    }

    /** Whether this chain presents a gateway certificate from SDS rather than the workload certificate. */
    public boolean servesGatewayCertificate() {
        return !certificateSecrets.isEmpty();
    }
}
