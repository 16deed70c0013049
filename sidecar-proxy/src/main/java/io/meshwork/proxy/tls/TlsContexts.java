package io.meshwork.proxy.tls;

import io.meshwork.proxy.identity.WorkloadCertificate;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.xds.ProxyConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.AttributeKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's TLS contexts: its own certificate (from {@link WorkloadCertificateSource}) with the
 * roots of the current config's SDS secrets. Built on first use and kept until the certificate is
 * renewed or the roots change; then new connections get new contexts and open ones keep theirs, so
 * rotation drops no connection. BoringSSL (netty-tcnative) when it loads, the JDK's engine otherwise.
 */
public final class TlsContexts {

    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);
    /** The SPIFFE ID of the peer of an inbound mTLS connection, set once its handshake is done. */
    public static final AttributeKey<String> PEER_IDENTITY = AttributeKey.valueOf("meshwork.peerIdentity");
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final WorkloadCertificateSource identity;
    /** Loaded on first use: a sidecar without identity never loads BoringSSL's native library (a few MB). */
    private volatile SslProvider provider;
    private final Map<Object, SslContext> contexts = new ConcurrentHashMap<>();
    private volatile Map<String, List<X509Certificate>> roots = Map.of();
    private volatile Map<String, ServerCertificate> certificates = Map.of();
    private volatile boolean warnedWithoutIdentity;
    private volatile boolean saidGatewayEngine;
    private volatile String ownIdentity;

    /** {@code identity} null: a sidecar without a certificate, which speaks plaintext only. */
    public TlsContexts(WorkloadCertificateSource identity) {
        this.identity = identity;
        if (identity != null) {
            this.ownIdentity = identityOf(identity.current());
            identity.onChange(certificate -> {
                ownIdentity = identityOf(certificate);
                contexts.clear();
            });
        }
    }

    /** This sidecar's current certificate, or null without one. */
    public WorkloadCertificate certificate() {
        return identity == null ? null : identity.current();
    }

    /**
     * Which TLS engine the contexts use, for the start-up line; none is loaded without an identity until a gateway
     * listener's certificate needs one (then {@link #gatewayServer} logs it).
     */
    public String engine() {
        if (!hasIdentity() && provider == null) {
            return "not loaded";
        }
        return provider() == SslProvider.OPENSSL ? "BoringSSL (" + OpenSsl.versionString() + ")" : "JDK";
    }

    private SslProvider provider() {
        SslProvider chosen = provider;
        if (chosen == null) {
            chosen = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            provider = chosen;
        }
        return chosen;
    }

    /** Whether this sidecar has a certificate to do mutual TLS with. */
    public boolean hasIdentity() {
        return identity != null && identity.current() != null;
    }

    /** The SPIFFE ID of this sidecar's certificate, or null without one; read once per certificate, not per request. */
    public String ownIdentity() {
        return ownIdentity;
    }

    /** Takes the roots of a new config; contexts built on other roots are dropped. */
    public void update(ProxyConfig config) {
        if (!config.trustRoots().equals(roots) || !config.certificates().equals(certificates)) {
            roots = config.trustRoots();
            certificates = config.certificates();
            contexts.clear();
        }
        if (!hasIdentity() && !warnedWithoutIdentity && !config.trustRoots().isEmpty()) {
            warnedWithoutIdentity = true;
            LOG.warn("the control plane configures mutual TLS, but this sidecar has no workload certificate "
                    + "(mesh proxy --token-file): it speaks plaintext only, so STRICT peers refuse it and mTLS "
                    + "clients cannot reach it");
        }
    }

    /** The client context for an upstream; null when this sidecar has no certificate (then plaintext). */
    public SslContext client(UpstreamTls tls) {
        WorkloadCertificate certificate = identity == null ? null : identity.current();
        if (certificate == null) {
            return null;
        }
        return contexts.computeIfAbsent(tls, key -> build(SslContextBuilder.forClient()
                .keyManager(certificate.key(), certificate.chain().toArray(new X509Certificate[0]))
                .trustManager(new MeshTrustManager(rootsOf(tls.rootsSecret()), tls.subjectAltNames())), tls.alpn()));
    }

    /** The server context of an inbound chain; null when this sidecar has no certificate to present. */
    public SslContext server(DownstreamTls tls) {
        if (tls.servesGatewayCertificate()) {
            return gatewayServer(tls);
        }
        WorkloadCertificate certificate = identity == null ? null : identity.current();
        if (certificate == null) {
            return null;
        }
        return contexts.computeIfAbsent(tls, key -> build(SslContextBuilder
                .forServer(certificate.key(), certificate.chain().toArray(new X509Certificate[0]))
                .clientAuth(tls.requireClientCertificate() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
                .trustManager(new MeshTrustManager(rootsOf(tls.rootsSecret()), Set.of())), tls.alpn()));
    }

    /**
     * A gateway listener's context, no client certificate asked for: its SDS certificate, or, when the listener has
     * several (say an ECDSA and an RSA one), all of them, the handshake taking the one whose key type the client can
     * verify, as Envoy does.
     */
    private SslContext gatewayServer(DownstreamTls tls) {
        List<ServerCertificate> served = new ArrayList<>();
        for (String name : tls.certificateSecrets()) {
            ServerCertificate certificate = certificates.get(name);
            if (certificate == null) {
                return null;
            }
            served.add(certificate);
        }
        SslContext context = contexts.computeIfAbsent(tls, key -> build(ServerCertificates.serverBuilder(served)
                .clientAuth(ClientAuth.NONE), tls.alpn()));
        if (!saidGatewayEngine) {
            saidGatewayEngine = true;
            LOG.info("TLS termination with {}", engine());
        }
        return context;
    }

    private List<X509Certificate> rootsOf(String secret) {
        return roots.getOrDefault(secret, List.of());
    }

    private SslContext build(SslContextBuilder builder, List<String> alpn) {
        builder.sslProvider(provider()).protocols(PROTOCOLS);
        if (!alpn.isEmpty()) {
            builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    private static String identityOf(WorkloadCertificate certificate) {
        return certificate == null ? null : MeshTrustManager.spiffeId(certificate.leaf());
    }

    /** The SPIFFE ID of a peer certificate, or null. */
    public static String spiffeIdOf(X509Certificate certificate) {
        return MeshTrustManager.spiffeId(certificate);
    }
}
