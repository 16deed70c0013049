package io.meshwork.controlplane.ca;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The last certificate the CA issued to each workload (namespace and name, as its caller credential names it), so
 * that {@code /debug/proxies} and {@code mesh proxy-status} can show when each proxy's certificate expires.
 */
public final class IssuedCertificates {

    /** One issued certificate: its SPIFFE ID, serial (hex) and expiry. */
    public record Issued(String identity, String serial, Instant notAfter) {
    }

    private final ConcurrentMap<String, Issued> byWorkload = new ConcurrentHashMap<>();

    void record(String namespace, String workload, Issued issued) {
        byWorkload.put(namespace + "/" + workload, issued);
    }

    /** The last certificate issued to {@code namespace/workload}, if this control plane issued one. */
    public Optional<Issued> of(String namespace, String workload) {
        return Optional.ofNullable(byWorkload.get(namespace + "/" + workload));
    }
}
