package io.meshwork.certs;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** A leaf certificate, its private key and the chain up to (and including) the root that signed it. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> issuerChain) {

    public IssuedCertificate {
        issuerChain = List.copyOf(issuerChain);
    }

    public String certificatePem() {
        return Pem.write(certificate);
    }

    public String privateKeyPem() {
        return Pem.write(privateKey);
    }

    /** The leaf followed by its issuers, as TLS servers send it. */
    public List<X509Certificate> chain() {
        List<X509Certificate> chain = new ArrayList<>(issuerChain.size() + 1);
        chain.add(certificate);
        chain.addAll(issuerChain);
        return chain;
    }

    /** {@link #chain()} in PEM. */
    public String chainPem() {
        StringBuilder pem = new StringBuilder();
        chain().forEach(c -> pem.append(Pem.write(c)));
        return pem.toString();
    }
}
