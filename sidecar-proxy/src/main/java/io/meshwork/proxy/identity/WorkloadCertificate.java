package io.meshwork.proxy.identity;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The sidecar's own certificate: its private key (generated in this process, never sent
 * anywhere) and the chain the CA returned, leaf first, up to but not including the root.
 */
public record WorkloadCertificate(PrivateKey key, List<X509Certificate> chain) {

    public WorkloadCertificate {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a workload certificate needs at least its leaf");
        }
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }
}
