package io.meshwork.controlplane.source.local;

import io.meshwork.certs.CertificateAuthority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** Gateway API documents for tests: Meshwork's GatewayClass, a Gateway {@code default/web}, TLS Secrets. */
public final class GatewayManifests {

    /** A self-signed certificate for a.example.com with its key. */
    public static final CertificateAuthority CERTIFICATE = CertificateAuthority.createSelfSigned("a.example.com",
            Duration.ofDays(1));

    private GatewayManifests() {
    }

    public static final String CLASS = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: meshwork}
            spec: {controllerName: meshwork.io/gateway-controller}
            """;

    /** A Gateway {@code default/web} of class meshwork with {@code listeners} (YAML list). */
    public static String gateway(String listeners) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web, namespace: default}
                spec:
                  gatewayClassName: meshwork
                  listeners:
                """ + listeners.indent(2);
    }

    /** A kubernetes.io/tls Secret with the test certificate, its PEM base64 in {@code data} as Kubernetes keeps it. */
    public static String secret(String namespace, String name) {
        Base64.Encoder base64 = Base64.getEncoder();
        return """
                apiVersion: v1
                kind: Secret
                metadata: {name: %s, namespace: %s}
                type: kubernetes.io/tls
                data:
                  tls.crt: %s
                  tls.key: %s
                """.formatted(name, namespace,
                base64.encodeToString(CERTIFICATE.certificatePem().getBytes(StandardCharsets.US_ASCII)),
                base64.encodeToString(CERTIFICATE.privateKeyPem().getBytes(StandardCharsets.US_ASCII)));
    }
}
