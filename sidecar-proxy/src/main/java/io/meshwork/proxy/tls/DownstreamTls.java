package io.meshwork.proxy.tls;

import java.util.List;

/**
 * Mutual TLS on an inbound filter chain, as its {@code DownstreamTlsContext} says it: present the
 * sidecar's own certificate, and (when {@code requireClientCertificate}) accept only clients whose
 * certificate chains to the roots of SDS secret {@code rootsSecret}.
 */
public record DownstreamTls(String rootsSecret, boolean requireClientCertificate, List<String> alpn) {

    public DownstreamTls {
        alpn = List.copyOf(alpn);
    }
}
