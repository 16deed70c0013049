package io.meshwork.certs;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
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
 * A certificate authority: a (self-signed) root key and certificate that issues leaf
 * certificates with DNS, IP and SPIFFE URI SANs. Keys are ECDSA P-256, signatures SHA-256.
 */
public final class CertificateAuthority {

    /** Leaves start this far in the past so a peer with a slightly slow clock accepts them. */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final Clock clock;

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey, Clock clock) {
        this.certificate = certificate;
        this.privateKey = privateKey;
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
            return new CertificateAuthority(sign(builder, keys.getPrivate()), keys.getPrivate(), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create root certificate " + commonName + ": " + e.getMessage(), e);
        }
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
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("CA certificate " + certificate.getSubjectX500Principal()
                    + ": basicConstraints does not allow it to sign certificates");
        }
        return new CertificateAuthority(certificate, key, Clock.systemUTC());
    }

    public X509Certificate certificate() {
        return certificate;
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
        return new IssuedCertificate(sign(request, keys.getPublic()), keys.getPrivate(), List.of(certificate));
    }

    /** Signs a leaf for a public key someone else holds the private key of (a CSR's key). */
    public X509Certificate sign(LeafRequest request, PublicKey subjectKey) {
        Instant now = clock.instant();
        Instant notAfter = now.plus(request.validity());
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            // A leaf outliving its root would fail verification later, at a worse moment.
            notAfter = certificate.getNotAfter().toInstant();
        }
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
        return "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in this JVM", e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Meshwork")
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }
}
