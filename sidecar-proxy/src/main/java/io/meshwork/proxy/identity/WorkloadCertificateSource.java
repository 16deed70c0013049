package io.meshwork.proxy.identity;

import java.util.function.Consumer;

/**
 * Where TLS handlers get the sidecar's current certificate and learn that it was renewed. The
 * CA client (CSR to the control plane, renewal at half-life) is one implementation; a fixed
 * certificate (tests, files) is another. Trust (the root bundle) does not come from here: it
 * comes over xDS as an SDS Secret.
 */
public interface WorkloadCertificateSource {

    /** The certificate to present now, or null before the first one was issued. */
    WorkloadCertificate current();

    /**
     * Calls {@code listener} after every change of certificate, on whatever thread made it; the
     * listener builds new TLS contexts for new connections and leaves open ones alone.
     */
    void onChange(Consumer<WorkloadCertificate> listener);

    /** A source whose certificate never changes. */
    static WorkloadCertificateSource fixed(WorkloadCertificate certificate) {
        return new WorkloadCertificateSource() {
            @Override
            public WorkloadCertificate current() {
                return certificate;
            }

            @Override
            public void onChange(Consumer<WorkloadCertificate> listener) {
                // never changes
            }
        };
    }
}
