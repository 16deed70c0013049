package io.meshwork.controlplane.source.local;

import io.meshwork.certs.Pem;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TlsSecret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Reads a {@code v1 Secret} of {@code type: kubernetes.io/tls}, exactly as Kubernetes holds it: {@code tls.crt} (the
 * certificate chain) and {@code tls.key} (its private key), PEM, base64 in {@code data} or plain in
 * {@code stringData} (which wins, as the API server merges it). Both must parse; an error names the field, never its
 * content. Other Secret types are refused: Meshwork reads Secrets only as Gateway listener certificates.
 */
final class TlsSecretParser implements KindParser<TlsSecret> {

    static final String TLS_TYPE = "kubernetes.io/tls";
    private static final String CERTIFICATE = "tls.crt";
    private static final String KEY = "tls.key";

    @Override
    public TlsSecret parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        String type = document.optionalString("type").orElse("Opaque");
        if (!type.equals(TLS_TYPE)) {
            throw document.error("type", "\"" + type + "\" is not read: Meshwork reads only " + TLS_TYPE
                    + " Secrets (the certificates of Gateway listeners)");
        }
        Map<String, String> data = document.stringMap("data");
        Map<String, String> stringData = document.stringMap("stringData");
        String certificate = value(document, data, stringData, CERTIFICATE);
        String key = value(document, data, stringData, KEY);
        String certificateField = (stringData.containsKey(CERTIFICATE) ? "stringData." : "data.") + CERTIFICATE;
        String keyField = (stringData.containsKey(KEY) ? "stringData." : "data.") + KEY;
        try {
            Pem.readCertificates(certificate, certificateField);
        } catch (IllegalArgumentException e) {
            throw document.error(certificateField, "is not a PEM certificate chain");
        }
        try {
            Pem.readPrivateKey(key, keyField);
        } catch (IllegalArgumentException e) {
            throw document.error(keyField, "is not an unencrypted PEM private key");
        }
        return new TlsSecret(ref, certificate, key);
    }

    private static String value(YamlObject document, Map<String, String> data, Map<String, String> stringData,
                                String name) {
        if (stringData.containsKey(name)) {
            return stringData.get(name);
        }
        String encoded = data.get(name);
        if (encoded == null) {
            throw document.error("data", "has no " + name + " (a " + TLS_TYPE + " Secret holds tls.crt and tls.key)");
        }
        try {
            return new String(Base64.getMimeDecoder().decode(encoded), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw document.error("data." + name, "is not base64");
        }
    }
}
