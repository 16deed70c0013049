package io.meshwork.certs;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * What a leaf certificate should say: its common name, DNS, IP and URI subject alternative names
 * (a SPIFFE ID is a URI SAN) and how long it is valid.
 */
public record LeafRequest(String commonName, List<String> dnsNames, List<String> ipAddresses, List<URI> uris,
        Duration validity) {

    public LeafRequest {
        if (commonName == null || commonName.isBlank()) {
            throw new IllegalArgumentException("leaf certificate: commonName must not be blank");
        }
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
        uris = List.copyOf(uris);
        if (dnsNames.isEmpty() && ipAddresses.isEmpty() && uris.isEmpty()) {
            // TLS clients (and the Kubernetes API server) ignore the CN: without a SAN nothing verifies.
            throw new IllegalArgumentException("leaf certificate " + commonName + ": needs at least one DNS, IP or URI SAN");
        }
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("leaf certificate " + commonName + ": validity must be positive");
        }
    }

    /** A serving certificate for the given DNS names; the first one is the common name. */
    public static LeafRequest forDnsNames(Duration validity, String... dnsNames) {
        return new LeafRequest(dnsNames[0], List.of(dnsNames), List.of(), List.of(), validity);
    }

    /** A workload certificate carrying only the SPIFFE ID as URI SAN. */
    public static LeafRequest forWorkload(SpiffeId id, Duration validity) {
        return new LeafRequest(id.serviceAccount() + "." + id.namespace(), List.of(), List.of(), List.of(id.uri()), validity);
    }
}
