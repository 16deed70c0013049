package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.controlplane.model.Workload;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;

/**
 * The mutual TLS parts of the config, in Envoy's own fields and with Istio's names, so that a reader
 * of Istio's config dumps finds them where they expect:
 * <ul>
 *   <li>Secret {@code ROOTCA} (SDS over ADS): the roots, as {@code validation_context.trusted_ca}.
 *   <li>SDS secret {@code default}: the proxy's own certificate, served by its local agent
 *       ({@code sds-grpc}); the sidecar gets it from the CA itself and never receives a key over xDS.
 *   <li>Outbound clusters: {@code transport_socket_matches} {@code tlsMode-istio} (endpoints whose
 *       metadata {@code envoy.transport_socket_match} says {@code tlsMode: istio}, i.e. meshed ones) with an
 *       {@code UpstreamTlsContext} that names the SPIFFE IDs of the service's accounts, and
 *       {@code tlsMode-disabled} (plaintext) for the rest: auto mTLS.
 *   <li>Inbound listeners: the TLS inspector, and filter chains matched on {@code transport_protocol}
 *       ({@code tls} with a {@code DownstreamTlsContext} that requires a client certificate,
 *       {@code raw_buffer} for plaintext where the port is PERMISSIVE or DISABLE).
 *   <li>Proxyless gRPC (grpc-java's xDS security, gRFC A29): no SDS and no transport_socket_matches, which
 *       grpc-java refuses; certificates come from the certificate provider instance {@value #PROXYLESS_PROVIDER}
 *       of the client's bootstrap ({@code certificate_providers}, e.g. {@code file_watcher}), named in
 *       {@code tls_certificate_provider_instance} and {@code ca_certificate_provider_instance}.
 * </ul>
 */
public final class MutualTls {

    public static final String ROOT_SECRET = "ROOTCA";
    public static final String WORKLOAD_SECRET = "default";
    /** The cluster name of the local SDS agent in Istio's bootstrap; the sidecar is its own agent. */
    public static final String LOCAL_SDS_CLUSTER = "sds-grpc";
    public static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";
    public static final String RAW_TRANSPORT_SOCKET = "envoy.transport_sockets.raw_buffer";
    public static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
    /** The endpoint metadata key Envoy matches {@code transport_socket_matches} against. */
    public static final String TRANSPORT_SOCKET_MATCH = "envoy.transport_socket_match";
    public static final String TLS_MODE = "tlsMode";
    public static final String TLS_MODE_MESH = "istio";
    public static final String TLS_TRANSPORT_PROTOCOL = "tls";
    public static final String RAW_TRANSPORT_PROTOCOL = "raw_buffer";
    /** The {@code certificate_providers} entry a proxyless client's bootstrap must define. */
    public static final String PROXYLESS_PROVIDER = "default";

    private MutualTls() {
    }

    /** The root bundle as an SDS Secret. */
    public static Secret rootSecret(TrustBundle trust) {
        return Secret.newBuilder()
                .setName(ROOT_SECRET)
                .setValidationContext(CertificateValidationContext.newBuilder()
                        .setTrustedCa(DataSource.newBuilder().setInlineBytes(
                                ByteString.copyFrom(trust.pemBundle(), StandardCharsets.US_ASCII))))
                .build();
    }

    /** Auto mTLS for an outbound cluster: TLS to meshed endpoints, which must present one of {@code spiffeIds}. */
    static void autoMtls(Cluster.Builder cluster, String sni, Collection<String> spiffeIds, boolean http2) {
        CommonTlsContext.Builder common = commonTls(http2 ? List.of("h2") : List.of("http/1.1"));
        CertificateValidationContext.Builder peers = CertificateValidationContext.newBuilder();
        spiffeIds.stream().sorted().distinct().forEach(id -> peers.addMatchTypedSubjectAltNames(
                SubjectAltNameMatcher.newBuilder()
                        .setSanType(SubjectAltNameMatcher.SanType.URI)
                        .setMatcher(StringMatcher.newBuilder().setExact(id))));
        common.setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(peers)
                .setValidationContextSdsSecretConfig(sds(ROOT_SECRET, EnvoyProtos.ads())));
        UpstreamTlsContext tls = UpstreamTlsContext.newBuilder().setCommonTlsContext(common).setSni(sni).build();
        cluster.addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
                .setName("tlsMode-" + TLS_MODE_MESH)
                .setMatch(Struct.newBuilder().putFields(TLS_MODE, Value.newBuilder().setStringValue(TLS_MODE_MESH).build()))
                .setTransportSocket(TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(tls))));
        cluster.addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
                .setName("tlsMode-disabled")
                .setMatch(Struct.getDefaultInstance())
                .setTransportSocket(rawBuffer()));
    }

    /** The metadata that makes an endpoint take the {@code tlsMode-istio} transport socket. */
    static Metadata.Builder markMeshed(Metadata.Builder metadata) {
        return metadata.putFilterMetadata(TRANSPORT_SOCKET_MATCH, Struct.newBuilder()
                .putFields(TLS_MODE, Value.newBuilder().setStringValue(TLS_MODE_MESH).build()).build());
    }

    /** The server side of mutual TLS on an inbound port: a mesh client certificate is required. */
    static TransportSocket downstream(boolean http) {
        CommonTlsContext.Builder common = commonTls(http ? List.of("h2", "http/1.1") : List.of());
        common.setValidationContextSdsSecretConfig(sds(ROOT_SECRET, EnvoyProtos.ads()));
        DownstreamTlsContext tls = DownstreamTlsContext.newBuilder()
                .setCommonTlsContext(common)
                .setRequireClientCertificate(BoolValue.of(true))
                .build();
        return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(tls)).build();
    }

    /**
     * Whether {@code workload} answers mutual TLS on {@code port}. A sidecar does unless the port's mode is
     * DISABLE (PERMISSIVE takes both); a proxyless gRPC server only when it is STRICT, since grpc-java
     * cannot tell TLS from plaintext on one port (no TLS inspector): PERMISSIVE serves plaintext there.
     */
    static boolean servesMutualTls(MeshSnapshot snapshot, Workload workload, int port) {
        if (!snapshot.trust().enabled() || !workload.hasMeshIdentity()) {
            return false;
        }
        PeerAuthentication.Mode mode = snapshot.mtlsModeOf(workload, port);
        return workload.meshed() ? mode != PeerAuthentication.Mode.DISABLE : mode == PeerAuthentication.Mode.STRICT;
    }

    /**
     * A proxyless client's mutual TLS to a cluster: its certificate and roots from the bootstrap's provider
     * instance, the peer's SPIFFE ID in {@code match_subject_alt_names} (grpc-java reads that field, not the
     * typed one; an exact match is checked against URI SANs too) and, for Envoy, in the typed field as well.
     */
    static TransportSocket proxylessUpstream(String sni, Collection<String> spiffeIds) {
        CertificateValidationContext.Builder peers = CertificateValidationContext.newBuilder()
                .setCaCertificateProviderInstance(provider(ROOT_SECRET));
        spiffeIds.stream().sorted().distinct().forEach(id -> {
            peers.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(id));
            peers.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                    .setSanType(SubjectAltNameMatcher.SanType.URI)
                    .setMatcher(StringMatcher.newBuilder().setExact(id)));
        });
        CommonTlsContext common = CommonTlsContext.newBuilder()
                .setTlsCertificateProviderInstance(provider(WORKLOAD_SECRET))
                .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                        .setDefaultValidationContext(peers))
                .build();
        UpstreamTlsContext tls = UpstreamTlsContext.newBuilder().setCommonTlsContext(common).setSni(sni).build();
        return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(tls)).build();
    }

    /** The server side for a proxyless gRPC server: a client certificate chaining to the provider's roots is required. */
    static TransportSocket proxylessDownstream() {
        DownstreamTlsContext tls = DownstreamTlsContext.newBuilder()
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        .setTlsCertificateProviderInstance(provider(WORKLOAD_SECRET))
                        .setValidationContext(CertificateValidationContext.newBuilder()
                                .setCaCertificateProviderInstance(provider(ROOT_SECRET))))
                .setRequireClientCertificate(BoolValue.of(true))
                .build();
        return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(tls)).build();
    }

    /** The bootstrap's provider instance; the certificate names are the SDS ones, which file_watcher ignores. */
    private static CertificateProviderPluginInstance provider(String certificateName) {
        return CertificateProviderPluginInstance.newBuilder()
                .setInstanceName(PROXYLESS_PROVIDER).setCertificateName(certificateName).build();
    }

    static ListenerFilter tlsInspector() {
        return ListenerFilter.newBuilder().setName(TLS_INSPECTOR)
                .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())).build();
    }

    private static TransportSocket rawBuffer() {
        return TransportSocket.newBuilder().setName(RAW_TRANSPORT_SOCKET)
                .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance())).build();
    }

    /** TLS 1.2 or 1.3, the proxy's own certificate from its agent, and the ALPN protocols offered. */
    private static CommonTlsContext.Builder commonTls(List<String> alpn) {
        return CommonTlsContext.newBuilder()
                .setTlsParams(TlsParameters.newBuilder()
                        .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
                        .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
                .addTlsCertificateSdsSecretConfigs(sds(WORKLOAD_SECRET, localAgent()))
                .addAllAlpnProtocols(alpn);
    }

    private static SdsSecretConfig sds(String name, ConfigSource source) {
        return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(source).build();
    }

    private static ConfigSource localAgent() {
        return ConfigSource.newBuilder()
                .setApiConfigSource(ApiConfigSource.newBuilder()
                        .setApiType(ApiConfigSource.ApiType.GRPC)
                        .setTransportApiVersion(ApiVersion.V3)
                        .addGrpcServices(GrpcService.newBuilder().setEnvoyGrpc(
                                GrpcService.EnvoyGrpc.newBuilder().setClusterName(LOCAL_SDS_CLUSTER))))
                .setResourceApiVersion(ApiVersion.V3)
                .build();
    }
}
