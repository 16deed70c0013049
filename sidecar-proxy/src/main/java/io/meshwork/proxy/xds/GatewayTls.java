package io.meshwork.proxy.xds;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.meshwork.certs.Pem;
import io.meshwork.proxy.tls.DownstreamTls;
import io.meshwork.proxy.tls.ServerCertificate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS termination on a gateway's listener, as the control plane writes it for a Gateway's HTTPS listener: a
 * {@code DownstreamTlsContext} whose {@code tls_certificate_sds_secret_configs} name SDS secrets over ADS, and those
 * secrets' {@code tls_certificate} (chain and key, inline PEM). Errors name the resource and field, never a key.
 */
final class GatewayTls {

    private GatewayTls() {
    }

    /** Whether {@code common} takes its certificates from SDS over ADS (a gateway's) rather than from the local agent. */
    static boolean fromAds(CommonTlsContext common) {
        return common.getTlsCertificateSdsSecretConfigsCount() > 0 && common.getTlsCertificateSdsSecretConfigsList()
                .stream().allMatch(sds -> sds.getSdsConfig().hasAds());
    }

    static DownstreamTls downstream(DownstreamTlsContext tls, String where) throws InvalidResourceException {
        CommonTlsContext common = tls.getCommonTlsContext();
        if (tls.getRequireClientCertificate().getValue()) {
            throw new InvalidResourceException(where + ".require_client_certificate: a gateway listener does not ask "
                    + "clients for certificates");
        }
        List<String> names = new ArrayList<>();
        for (SdsSecretConfig sds : common.getTlsCertificateSdsSecretConfigsList()) {
            if (sds.getName().isEmpty()) {
                throw new InvalidResourceException(where + ".common_tls_context.tls_certificate_sds_secret_configs: "
                        + "a name is empty");
            }
            names.add(sds.getName());
        }
        return new DownstreamTls(null, false, common.getAlpnProtocolsList(), names);
    }

    /** The certificate and key of an SDS Secret's {@code tls_certificate}. */
    static ServerCertificate certificate(Secret secret) throws InvalidResourceException {
        String where = "Secret " + ResourceConverter.quoted(secret.getName()) + ": field tls_certificate.";
        try {
            return new ServerCertificate(
                    Pem.readPrivateKey(pem(secret.getTlsCertificate().getPrivateKey(), where + "private_key"),
                            where + "private_key"),
                    Pem.readCertificates(pem(secret.getTlsCertificate().getCertificateChain(), where + "certificate_chain"),
                            where + "certificate_chain"));
        } catch (IllegalArgumentException e) {
            // Pem's messages name the field and the parser's complaint; they never quote the key.
            throw new InvalidResourceException(e.getMessage());
        }
    }

    private static String pem(DataSource source, String where) throws InvalidResourceException {
        return switch (source.getSpecifierCase()) {
            case INLINE_BYTES -> source.getInlineBytes().toString(StandardCharsets.US_ASCII);
            case INLINE_STRING -> source.getInlineString();
            default -> throw new InvalidResourceException(where + " must be inline_bytes or inline_string");
        };
    }
}
