package io.meshwork.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshwork.certs.CsrRefusedException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mesh CA as a root, a per-cluster intermediate and the CSR signer, checked by openssl. */
class WorkloadCaTest {

    private static final Duration DAY = Duration.ofDays(1);
    private static final SpiffeId REVIEWS = new SpiffeId("cluster.local", "shop", "reviews");

    private final CertificateAuthority root = CertificateAuthority.createSelfSigned("mesh root", CaDirectory.ROOT_VALIDITY);
    private final CertificateAuthority east = root.createIntermediate("east intermediate", CaDirectory.INTERMEDIATE_VALIDITY);
    private final WorkloadCsrSigner signer = new WorkloadCsrSigner(east, DAY, Duration.ofDays(2));

    @TempDir
    Path dir;

    @Test
    void intermediateIsSignedByTheRootAndMaySignOnlyLeaves() throws Exception {
        east.certificate().verify(root.certificate().getPublicKey());
        assertThat(east.certificate().getBasicConstraints()).isZero();
        assertThat(east.chain()).containsExactly(east.certificate(), root.certificate());
        assertThat(east.root()).isEqualTo(root.certificate());
        assertThat(root.certificate().getNotAfter().toInstant())
                .isAfter(root.certificate().getNotBefore().toInstant().plus(Duration.ofDays(3649)));
    }

    @Test
    void opensslVerifiesAWorkloadLeafThroughTheIntermediate() throws Exception {
        OpenSsl.assumeInstalled();
        KeyPair keys = KeyPairs.newEcP256();
        List<X509Certificate> chain = signer.sign(WorkloadCsrSigner.csr(keys, REVIEWS), REVIEWS, null);
        Files.writeString(dir.resolve("root.pem"), Pem.write(root.certificate()));
        Files.writeString(dir.resolve("chain.pem"), CaDirectory.pem(chain.subList(1, chain.size() - 1)));
        Files.writeString(dir.resolve("leaf.pem"), Pem.write(chain.get(0)));

        OpenSsl.Result ok = OpenSsl.run(dir, "verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem");
        assertThat(ok.output()).isEqualTo("leaf.pem: OK");
        assertThat(ok.exitCode()).isZero();

        Files.writeString(dir.resolve("other.pem"),
                CertificateAuthority.createSelfSigned("other root", DAY).certificatePem());
        OpenSsl.Result other = OpenSsl.run(dir, "verify", "-CAfile", "other.pem", "-untrusted", "chain.pem", "leaf.pem");
        assertThat(other.exitCode()).isNotZero();
    }

    @Test
    void workloadLeafHasOnlyItsSpiffeIdBothUsagesAndTheDefaultTtl() throws Exception {
        List<X509Certificate> chain = signer.sign(WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS), REVIEWS,
                Duration.ZERO);
        X509Certificate leaf = chain.get(0);

        assertThat(leaf.getVersion()).isEqualTo(3);
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, REVIEWS.toString()));
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        Duration lifetime = Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
        assertThat(lifetime).isEqualTo(DAY.plusMinutes(5)); // 5 minutes back-dated for clock skew
        assertThat(chain).endsWith(root.certificate());
    }

    @Test
    void signsAnOpensslMadeCsr() throws Exception {
        OpenSsl.assumeInstalled();
        OpenSsl.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem");
        OpenSsl.Result req = OpenSsl.run(dir, "req", "-new", "-key", "key.pem", "-subj", "/O=test", "-addext",
                "subjectAltName=URI:" + REVIEWS, "-out", "csr.pem");
        assertThat(req.exitCode()).as(req.output()).isZero();

        List<X509Certificate> chain = signer.sign(Files.readString(dir.resolve("csr.pem")), REVIEWS, Duration.ofHours(1));
        Files.writeString(dir.resolve("leaf.pem"), Pem.write(chain.get(0)));
        Files.writeString(dir.resolve("root.pem"), Pem.write(root.certificate()));
        Files.writeString(dir.resolve("chain.pem"), Pem.write(east.certificate()));
        assertThat(OpenSsl.run(dir, "verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem").output())
                .isEqualTo("leaf.pem: OK");
        // the certificate carries the CSR's key: openssl's key and the leaf's public key match
        OpenSsl.Result pub = OpenSsl.run(dir, "x509", "-in", "leaf.pem", "-noout", "-pubkey");
        OpenSsl.Result keyPub = OpenSsl.run(dir, "pkey", "-in", "key.pem", "-pubout");
        assertThat(pub.output()).isEqualTo(keyPub.output());
    }

    @Test
    void anotherWorkloadsIdentityIsPermissionDeniedNamingBoth() {
        SpiffeId ratings = new SpiffeId("cluster.local", "shop", "ratings");
        String csr = WorkloadCsrSigner.csr(KeyPairs.newEcP256(), ratings);

        assertThatThrownBy(() -> signer.sign(csr, REVIEWS, null))
                .isInstanceOfSatisfying(CsrRefusedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PERMISSION_DENIED))
                .hasMessage("CSR asks for identity spiffe://cluster.local/ns/shop/sa/ratings but the caller is "
                        + "spiffe://cluster.local/ns/shop/sa/reviews");
    }

    @Test
    void refusesSmallRsaKeysExtraSansLongTtlsForgedAndGarbageCsrs() throws Exception {
        OpenSsl.assumeInstalled();
        OpenSsl.run(dir, "genrsa", "-out", "rsa1024.pem", "1024");
        OpenSsl.run(dir, "req", "-new", "-key", "rsa1024.pem", "-subj", "/O=test", "-addext",
                "subjectAltName=URI:" + REVIEWS, "-out", "small.csr");
        assertRefused(Files.readString(dir.resolve("small.csr")), null, Reason.INVALID_ARGUMENT,
                "CSR key is RSA with 1024 bits; at least 2048 are required");

        OpenSsl.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem");
        OpenSsl.run(dir, "req", "-new", "-key", "key.pem", "-subj", "/O=test", "-addext",
                "subjectAltName=URI:" + REVIEWS + ",DNS:evil.example", "-out", "extra.csr");
        assertRefused(Files.readString(dir.resolve("extra.csr")), null, Reason.INVALID_ARGUMENT,
                "CSR carries subjectAltNames besides its SPIFFE ID: DNS:evil.example (a workload certificate has only its SPIFFE ID)");

        String good = WorkloadCsrSigner.csr(KeyPairs.newEcP256(), REVIEWS);
        assertRefused(good, Duration.ofDays(3), Reason.INVALID_ARGUMENT,
                "requested TTL PT72H is longer than the maximum PT48H (--max-workload-cert-ttl)");
        assertRefused(forged(), null, Reason.INVALID_ARGUMENT,
                "CSR signature does not verify with its own public key (altered or forged CSR)");
        assertRefused("hello", null, Reason.INVALID_ARGUMENT, "CSR holds no PEM CERTIFICATE REQUEST block");
    }

    @Test
    void caFolderRoundTripsAndCreatesARootOnFirstUse() throws Exception {
        Path ca = dir.resolve("ca");
        CaDirectory.Loaded first = CaDirectory.loadOrCreate(ca, "meshwork root CA");
        CaDirectory.Loaded second = CaDirectory.loadOrCreate(ca, "meshwork root CA");

        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.ca().certificate()).isEqualTo(first.ca().certificate());
        assertThat(Files.getPosixFilePermissions(ca.resolve(CaDirectory.CA_KEY)))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        Path cluster = dir.resolve("east");
        CaDirectory.write(CaDirectory.loadRoot(ca).createIntermediate("east", DAY), cluster);
        CertificateAuthority loaded = CaDirectory.load(cluster);
        assertThat(loaded.root()).isEqualTo(first.ca().certificate());
        assertThat(loaded.chain()).hasSize(2);
    }

    @Test
    void caFolderErrorsNameTheFile() throws Exception {
        Path cluster = dir.resolve("east");
        CaDirectory.write(east, cluster);
        Files.delete(cluster.resolve(CaDirectory.CERT_CHAIN));
        assertThatThrownBy(() -> CaDirectory.loadOrCreate(cluster, "x"))
                .hasMessageStartingWith(cluster.resolve("cert-chain.pem") + ": missing");

        CaDirectory.write(east, cluster);
        Files.writeString(cluster.resolve(CaDirectory.CA_KEY), Pem.write(KeyPairs.newEcP256().getPrivate()));
        assertThatThrownBy(() -> CaDirectory.load(cluster))
                .hasMessage(cluster.resolve("ca-key.pem") + ": this private key does not belong to ca-cert.pem");

        CaDirectory.write(east, cluster);
        Files.writeString(cluster.resolve(CaDirectory.ROOT_CERT),
                CertificateAuthority.createSelfSigned("stranger", DAY).certificatePem());
        assertThatThrownBy(() -> CaDirectory.load(cluster))
                .hasMessageStartingWith(cluster.resolve("cert-chain.pem") + ": CA certificate")
                .hasMessageContaining("is not signed by");

        CaDirectory.write(east, cluster);
        Files.writeString(cluster.resolve(CaDirectory.CA_CERT), "garbage");
        assertThatThrownBy(() -> CaDirectory.load(cluster))
                .hasMessage(cluster.resolve("ca-cert.pem") + ": no CERTIFICATE block found");
    }

    private void assertRefused(String csr, Duration ttl, Reason reason, String message) {
        assertThatThrownBy(() -> signer.sign(csr, REVIEWS, ttl))
                .isInstanceOfSatisfying(CsrRefusedException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessage(message);
    }

    /** A CSR naming one key but signed with another. */
    private static String forged() throws Exception {
        KeyPair claimed = KeyPairs.newEcP256();
        KeyPair signing = KeyPairs.newEcP256();
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, true,
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, REVIEWS.toString())));
        var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("O=x"), claimed.getPublic())
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signing.getPrivate()));
        var out = new java.io.StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(csr);
        }
        return out.toString();
    }
}
