package io.meshwork.certs;

import io.meshwork.certs.CsrRefusedException.Reason;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Signs workload CSRs: the caller, already authenticated, gets a certificate for its own SPIFFE ID
 * and nothing else. The workload's private key never reaches the CA; only the CSR's public key does.
 */
public final class WorkloadCsrSigner {

    private final CertificateAuthority ca;
    private final Duration defaultTtl;
    private final Duration maxTtl;

    public WorkloadCsrSigner(CertificateAuthority ca, Duration defaultTtl, Duration maxTtl) {
        if (defaultTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("workload certificate TTL " + defaultTtl
                    + " is longer than the maximum " + maxTtl);
        }
        this.ca = ca;
        this.defaultTtl = defaultTtl;
        this.maxTtl = maxTtl;
    }

    public CertificateAuthority ca() {
        return ca;
    }

    /**
     * Checks {@code csrPem} against {@code caller} and signs it for {@code requestedTtl} (zero or
     * null: the default). Returns the leaf followed by the CA's chain, ending with the root.
     */
    public List<X509Certificate> sign(String csrPem, SpiffeId caller, Duration requestedTtl) throws CsrRefusedException {
        Duration ttl = requestedTtl == null || requestedTtl.isZero() ? defaultTtl : requestedTtl;
        if (ttl.isNegative()) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "requested TTL " + ttl + " is negative");
        }
        if (ttl.compareTo(maxTtl) > 0) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "requested TTL " + ttl
                    + " is longer than the maximum " + maxTtl + " (--max-workload-cert-ttl)");
        }
        PKCS10CertificationRequest csr = parse(csrPem);
        PublicKey key = publicKey(csr);
        checkKey(key);
        checkSignature(csr, key);
        checkSans(csr, caller);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(ca.sign(LeafRequest.forWorkload(caller, ttl), key));
        chain.addAll(ca.chain());
        return chain;
    }

    /** A CSR for {@code id} signed with {@code keys}: what a sidecar sends. */
    public static String csr(KeyPair keys, SpiffeId id) {
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, true,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
            PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("O=Meshwork"),
                    keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(new JcaContentSignerBuilder(KeyPairs.signatureAlgorithm(keys.getPrivate()))
                            .build(keys.getPrivate()));
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(csr);
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a CSR for " + id + ": " + e.getMessage(), e);
        }
    }

    private static PKCS10CertificationRequest parse(String pem) throws CsrRefusedException {
        if (pem == null || pem.isBlank()) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "CSR is empty");
        }
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            if (o instanceof PKCS10CertificationRequest csr) {
                return csr;
            }
        } catch (IOException | RuntimeException e) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "CSR is not a readable PEM CERTIFICATE REQUEST: "
                    + e.getMessage());
        }
        throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "CSR holds no PEM CERTIFICATE REQUEST block");
    }

    private static PublicKey publicKey(PKCS10CertificationRequest csr) throws CsrRefusedException {
        try {
            return new JcaPKCS10CertificationRequest(csr).getPublicKey();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "CSR public key cannot be read: " + e.getMessage());
        }
    }

    private static void checkKey(PublicKey key) throws CsrRefusedException {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < 2048) {
                throw new CsrRefusedException(Reason.INVALID_ARGUMENT,
                        "CSR key is RSA with " + bits + " bits; at least 2048 are required");
            }
        } else if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getOrder().bitLength();
            if (bits != 256 && bits != 384) {
                throw new CsrRefusedException(Reason.INVALID_ARGUMENT,
                        "CSR key is EC on a " + bits + "-bit curve; P-256 or P-384 are accepted");
            }
        } else {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT,
                    "CSR key algorithm " + key.getAlgorithm() + " is not accepted (EC P-256/P-384 or RSA >= 2048)");
        }
    }

    private static void checkSignature(PKCS10CertificationRequest csr, PublicKey key) throws CsrRefusedException {
        try {
            if (csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                return;
            }
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "CSR signature cannot be checked: " + e.getMessage());
        }
        throw new CsrRefusedException(Reason.INVALID_ARGUMENT,
                "CSR signature does not verify with its own public key (altered or forged CSR)");
    }

    private static void checkSans(PKCS10CertificationRequest csr, SpiffeId caller) throws CsrRefusedException {
        Extensions extensions = csr.getRequestedExtensions();
        GeneralNames names = extensions == null ? null : GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
        if (names == null || names.getNames().length == 0) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT,
                    "CSR asks for no SPIFFE ID (no subjectAltName URI); expected " + caller);
        }
        List<String> extra = new ArrayList<>();
        String asked = null;
        for (GeneralName name : names.getNames()) {
            if (name.getTagNo() == GeneralName.uniformResourceIdentifier && asked == null) {
                asked = name.getName().toString();
            } else {
                extra.add(describe(name));
            }
        }
        if (asked == null) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT,
                    "CSR asks for no SPIFFE ID (no subjectAltName URI); expected " + caller);
        }
        if (!asked.equals(caller.toString())) {
            throw new CsrRefusedException(Reason.PERMISSION_DENIED,
                    "CSR asks for identity " + asked + " but the caller is " + caller);
        }
        if (!extra.isEmpty()) {
            throw new CsrRefusedException(Reason.INVALID_ARGUMENT, "CSR carries subjectAltNames besides its SPIFFE ID: "
                    + String.join(", ", extra) + " (a workload certificate has only its SPIFFE ID)");
        }
    }

    private static String describe(GeneralName name) {
        return switch (name.getTagNo()) {
            case GeneralName.dNSName -> "DNS:" + name.getName();
            case GeneralName.iPAddress -> "IP address";
            case GeneralName.uniformResourceIdentifier -> "URI:" + name.getName();
            case GeneralName.rfc822Name -> "email:" + name.getName();
            default -> "name of type " + name.getTagNo();
        };
    }
}
