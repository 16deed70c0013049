package io.meshwork.proxy.tls;

import java.util.List;
import java.util.Set;

/**
 * Mutual TLS toward an upstream, as a cluster's {@code UpstreamTlsContext} says it: present the
 * sidecar's own certificate, trust the roots of SDS secret {@code rootsSecret}, and accept only a peer
 * whose URI SAN is one of {@code subjectAltNames} (any, when empty).
 */
public record UpstreamTls(String sni, Set<String> subjectAltNames, String rootsSecret, List<String> alpn) {

    public UpstreamTls {
        subjectAltNames = Set.copyOf(subjectAltNames);
        alpn = List.copyOf(alpn);
    }
}
