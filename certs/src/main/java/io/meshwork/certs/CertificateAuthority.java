package io.meshwork.certs;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority: a signing key and certificate that issues leaf certificates with DNS,
 * IP and SPIFFE URI SANs. It is either a self-signed root or, as Istio's plug-in CA has it, an
 * intermediate (one per cluster) signed by a shared root, so several clusters share one trust.
 * Keys are ECDSA P-256, signatures SHA-256.
 */
public final class CertificateAuthority {

    /** Leaves start this far in the past so a peer with a slightly slow clock accepts them. */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    /** The certificates above this one, nearest first, ending with the root; empty for a root. */
    private final List<X509Certificate> parents;
    private final Clock clock;

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> parents,
            Clock clock) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.parents = List.copyOf(parents);
        this.clock = clock;
    }

    /** A new self-signed root named {@code O=Meshwork, CN=<commonName>}. */
    public static CertificateAuthority createSelfSigned(String commonName, Duration validity) {
        return createSelfSigned(commonName, validity, Clock.systemUTC());
    }

    public static CertificateAuthority createSelfSigned(String commonName, Duration validity, Clock clock) {
        KeyPair keys = newKeyPair();
        X500Name name = name(commonName);
        Instant now = clock.instant();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(validity)), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new CertificateAuthority(sign(builder, keys.getPrivate()), keys.getPrivate(), List.of(), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create root certificate " + commonName + ": " + e.getMessage(), e);
        }
    }

    /**
     * A new intermediate CA signed by this one, named {@code O=Meshwork, CN=<commonName>}, that may
     * sign leaves but no further CAs (path length 0). It never outlives this CA.
     */
    public CertificateAuthority createIntermediate(String commonName, Duration validity) {
        KeyPair keys = newKeyPair();
        Instant now = clock.instant();
        Instant notAfter = earliest(now.plus(validity), certificate.getNotAfter().toInstant());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), name(commonName), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(certificate));
            List<X509Certificate> above = new ArrayList<>();
            above.add(certificate);
            above.addAll(parents);
            return new CertificateAuthority(sign(builder, privateKey), keys.getPrivate(), above, clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create intermediate certificate " + commonName + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * A CA from its certificate, key and the certificates above it (nearest first, ending with
     * the root; empty when the certificate is itself the root). Checks that the key belongs to
     * the certificate and that each certificate is signed by the next.
     */
    public static CertificateAuthority of(X509Certificate certificate, PrivateKey key, List<X509Certificate> parents) {
        return of(certificate, key, parents, Clock.systemUTC());
    }

    public static CertificateAuthority of(X509Certificate certificate, PrivateKey key, List<X509Certificate> parents,
            Clock clock) {
        requireCa(certificate);
        parents.forEach(CertificateAuthority::requireCa);
        if (!KeyPairs.matches(key, certificate.getPublicKey())) {
            throw new IllegalArgumentException("CA certificate " + certificate.getSubjectX500Principal()
                    + ": the private key does not belong to it");
        }
        X509Certificate child = certificate;
        for (X509Certificate parent : parents) {
            verifySignedBy(child, parent);
            child = parent;
        }
        verifySignedBy(child, child); // the last one is the root: self-signed
        return new CertificateAuthority(certificate, key, parents, clock);
    }

    /** A CA from an existing certificate and its key (PEM files, as in a Kubernetes TLS Secret). */
    public static CertificateAuthority load(Path certificatePem, Path privateKeyPem) {
        return of(Pem.readCertificates(certificatePem).get(0), Pem.readPrivateKey(privateKeyPem));
    }

    public static CertificateAuthority fromPem(String certificatePem, String privateKeyPem) {
        return of(Pem.readCertificates(certificatePem, "CA certificate").get(0),
                Pem.readPrivateKey(privateKeyPem, "CA private key"));
    }

    private static CertificateAuthority of(X509Certificate certificate, PrivateKey key) {
        requireCa(certificate);
        return new CertificateAuthority(certificate, key, List.of(), Clock.systemUTC());
    }

    private static void requireCa(X509Certificate certificate) {
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("CA certificate " + certificate.getSubjectX500Principal()
                    + ": basicConstraints does not allow it to sign certificates");
        }
    }

    private static void verifySignedBy(X509Certificate child, X509Certificate parent) {
        try {
            child.verify(parent.getPublicKey());
        } catch (GeneralSecurityException e) {
            String what = child == parent ? "is not self-signed, so it is no root"
                    : "is not signed by " + parent.getSubjectX500Principal();
            throw new IllegalArgumentException("CA certificate " + child.getSubjectX500Principal() + " " + what, e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The root this CA chains to (itself when it is a root). */
    public X509Certificate root() {
        return parents.isEmpty() ? certificate : parents.get(parents.size() - 1);
    }

    /** This CA's certificate followed by those above it, ending with the root (Istio's cert-chain.pem). */
    public List<X509Certificate> chain() {
        List<X509Certificate> chain = new ArrayList<>(parents.size() + 1);
        chain.add(certificate);
        chain.addAll(parents);
        return chain;
    }

    /** The latest moment a certificate this CA signs may be valid until. */
    public Instant notAfter() {
        Instant limit = certificate.getNotAfter().toInstant();
        for (X509Certificate parent : parents) {
            limit = earliest(limit, parent.getNotAfter().toInstant());
        }
        return limit;
    }

    public String certificatePem() {
        return Pem.write(certificate);
    }

    public String privateKeyPem() {
        return Pem.write(privateKey);
    }

    /** Issues a leaf (not a CA) usable for both TLS server and client authentication. */
    public IssuedCertificate issue(LeafRequest request) {
        KeyPair keys = newKeyPair();
        return new IssuedCertificate(sign(request, keys.getPublic()), keys.getPrivate(), chain());
    }

    /** Signs a leaf for a public key someone else holds the private key of (a CSR's key). */
    public X509Certificate sign(LeafRequest request, PublicKey subjectKey) {
        Instant now = clock.instant();
        // A leaf outliving its issuers would fail verification later, at a worse moment.
        Instant notAfter = earliest(now.plus(request.validity()), notAfter());
        List<GeneralName> sans = new ArrayList<>();
        request.dnsNames().forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
        request.ipAddresses().forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
        for (URI uri : request.uris()) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri.toString()));
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), name(request.commonName()), subjectKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(sans.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(certificate));
            return sign(builder, privateKey);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue certificate " + request.commonName() + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey)
            throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(signatureAlgorithm(signingKey)).build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static String signatureAlgorithm(PrivateKey key) {
        return KeyPairs.signatureAlgorithm(key);
    }

    private static KeyPair newKeyPair() {
        return KeyPairs.newEcP256();
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Meshwork")
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    private static Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }
}
