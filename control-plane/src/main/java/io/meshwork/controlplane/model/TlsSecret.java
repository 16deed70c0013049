package io.meshwork.controlplane.model;

/**
 * A {@code kubernetes.io/tls} Secret: a certificate chain and its private key, PEM, as a gateway listener serves them.
 * Its text never shows the key.
 */
public record TlsSecret(ObjectRef ref, String certificateChain, String privateKey) {

    @Override
    public String toString() {
        return "TlsSecret[" + ref + ", " + certificateChain.length() + " certificate chars, key hidden]";
    }
}
