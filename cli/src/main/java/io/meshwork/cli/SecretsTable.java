package io.meshwork.cli;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * {@code mesh proxy-config W secrets}: the certificates in a sidecar's config dump, as {@code istioctl proxy-config
 * secret} shows them: its own certificate (SDS {@code default}: serial, SPIFFE ID, expiry) and the roots it trusts
 * ({@code ROOTCA}: subject, expiry, SHA-256 fingerprint).
 */
final class SecretsTable {

    private SecretsTable() {
    }

    static void print(JsonNode secretsDump) {
        Table table = new Table("SECRET", "TYPE", "SERIAL", "IDENTITY", "NOT AFTER", "EXPIRES", "SHA-256");
        for (JsonNode entry : secretsDump.path("dynamic_active_secrets")) {
            String name = entry.path("name").asString("");
            JsonNode secret = entry.path("secret");
            String chain = secret.path("tls_certificate").path("certificate_chain").path("inline_bytes").asString("");
            String roots = secret.path("validation_context").path("trusted_ca").path("inline_bytes").asString("");
            if (!chain.isEmpty()) {
                List<X509Certificate> certificates = certificates(chain);
                if (!certificates.isEmpty()) {
                    row(table, name, "certificate (chain of " + certificates.size() + ")", certificates.get(0));
                }
            }
            if (!roots.isEmpty()) {
                for (X509Certificate root : certificates(roots)) {
                    row(table, name, "trusted root", root);
                }
            }
        }
        if (table.isEmpty()) {
            System.out.println("Secrets: none (this sidecar has no certificate and no trusted roots: the mesh runs plaintext to it)");
            System.out.println();
            return;
        }
        ProxyConfigCommand.print("Secrets", table);
    }

    private static void row(Table table, String name, String type, X509Certificate certificate) {
        Instant notAfter = certificate.getNotAfter().toInstant();
        table.row(name, type, certificate.getSerialNumber().toString(16), identity(certificate), notAfter.toString(),
                Ages.until(notAfter), fingerprint(certificate));
    }

    /** The SPIFFE ID (URI SAN) of a workload certificate, else the subject of a CA. */
    private static String identity(X509Certificate certificate) {
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> san : certificate.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(6).equals(san.get(0))) {
                        return san.get(1).toString();
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException ignored) {
            // fall back to the subject
        }
        return certificate.getSubjectX500Principal().getName();
    }

    private static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8) + "…";
        } catch (NoSuchAlgorithmException | java.security.cert.CertificateEncodingException e) {
            return "-";
        }
    }

    private static List<X509Certificate> certificates(String base64Pem) {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            byte[] pem = Base64.getDecoder().decode(base64Pem);
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                certificates.add((X509Certificate) c);
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new IllegalStateException("the sidecar's config dump holds a certificate that does not parse: " + e.getMessage());
        }
        return certificates;
    }
}
