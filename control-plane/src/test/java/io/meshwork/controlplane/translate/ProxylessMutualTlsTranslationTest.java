package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.grpc;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.TrustBundle;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS for proxyless gRPC (grpc-java's xDS security): clusters with a plain transport_socket naming the
 * bootstrap's certificate provider, and the server Listeners grpc-java's XdsServerBuilder asks for.
 */
class ProxylessMutualTlsTranslationTest {

    private static final TrustBundle TRUST = new TrustBundle("cluster.local",
            List.of("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
    private static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
    private static final String LEGACY = "outbound|8080||legacy.default.svc.cluster.local";
    private static final String GREETER = "outbound|50051||greeter.default.svc.cluster.local";
    /** grpc-java 1.85's XdsServerBuilder names 0.0.0.0 whatever address it binds. */
    private static final String GREETER_LISTENER = "grpc/server?xds.resource.listening_address=0.0.0.0:50051";
    private static final ProxyNode CLIENT = ProxyNode.proxyless("default");
    private static final ProxyNode GREETER_SERVER = ProxyNode.proxylessServer(ref("default/greeter-1"));

    private static MeshSnapshot mesh(PeerAuthentication... policies) {
        MeshSnapshot plain = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .service("default/legacy", "app=legacy", http(8080))
                .service("default/greeter", "app=greeter", grpc(50051))
                .workload(workload("default/reviews-1", "app=reviews", "10.0.0.1").serviceAccount("reviews")
                        .meshedPort("http", 9080, 19080))
                .workload(workload("default/legacy-1", "app=legacy", "10.0.0.3").port("http", 8080))
                .workload(workload("default/greeter-1", "app=greeter,meshwork.io/proxyless=true", "10.0.0.4")
                        .serviceAccount("greeter").port("grpc", 50051))
                .workload(workload("shop/cart-1", "app=cart,meshwork.io/proxyless=true", "10.0.0.5").port("grpc", 50052))
                .build();
        return MeshFixture.withPolicies(plain, TRUST, policies);
    }

    private static PeerAuthentication greeterStrict() {
        return new PeerAuthentication(ref("default/greeter"), Map.of("app", "greeter"), PeerAuthentication.Mode.STRICT,
                Map.of());
    }

    @Test
    void aProxylessClientGetsAPlainTransportSocketWithTheBootstrapsProviderWhereEveryEndpointAnswersMutualTls()
            throws Exception {
        ProxyResources resources = Translator.translate(mesh(), CLIENT);

        Cluster reviews = cluster(resources, REVIEWS);
        assertThat(reviews.getTransportSocketMatchesCount()).isZero();
        assertThat(reviews.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
        UpstreamTlsContext tls = reviews.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
        var common = tls.getCommonTlsContext();
        assertThat(common.getTlsCertificateProviderInstance().getInstanceName()).isEqualTo("default");
        // grpc-java refuses these: no SDS, no tls_params
        assertThat(common.getTlsCertificateSdsSecretConfigsCount()).isZero();
        assertThat(common.hasTlsParams()).isFalse();
        assertThat(common.hasValidationContextSdsSecretConfig()).isFalse();
        CertificateValidationContext peers = common.getCombinedValidationContext().getDefaultValidationContext();
        assertThat(common.getCombinedValidationContext().hasValidationContextSdsSecretConfig()).isFalse();
        assertThat(peers.getCaCertificateProviderInstance().getInstanceName()).isEqualTo("default");
        assertThat(peers.getMatchSubjectAltNamesList()).extracting(StringMatcher::getExact)
                .containsExactly("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(tls.getSni()).isEqualTo("outbound_.9080_._.reviews.default.svc.cluster.local");

        // an unmeshed endpoint, or a proxyless server that is not STRICT, would not answer TLS
        assertThat(cluster(resources, LEGACY).hasTransportSocket()).isFalse();
        assertThat(cluster(resources, GREETER).hasTransportSocket()).isFalse();
    }

    @Test
    void sidecarsKeepAutoMtlsThroughSds() {
        ProxyResources sidecar = Translator.translate(mesh(), ProxyNode.sidecar(ref("default/legacy-1"), "default"));

        assertThat(cluster(sidecar, REVIEWS).hasTransportSocket()).isFalse();
        assertThat(cluster(sidecar, REVIEWS).getTransportSocketMatchesList()).extracting(Cluster.TransportSocketMatch::getName)
                .containsExactly("tlsMode-istio", "tlsMode-disabled");
    }

    @Test
    void aStrictProxylessServerGetsAListenerAtItsAddressRequiringAMeshClientCertificate() throws Exception {
        ProxyResources resources = Translator.translate(mesh(greeterStrict()), GREETER_SERVER);
        Listener server = listener(resources, GREETER_LISTENER);

        assertThat(listener(resources, "grpc/server?xds.resource.listening_address=10.0.0.4:50051").getFilterChainsList())
                .isEqualTo(server.getFilterChainsList());
        assertThat(server.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(server.getAddress().getSocketAddress().getPortValue()).isEqualTo(50051);
        assertThat(server.getListenerFiltersCount()).as("grpc-java NACKs listener filters").isZero();
        assertThat(server.getFilterChainsList()).singleElement().satisfies(chain -> {
            assertThat(chain.getFiltersList()).singleElement().satisfies(filter -> {
                HttpConnectionManager manager = filter.getTypedConfig().unpack(HttpConnectionManager.class);
                assertThat(manager.getRouteConfig().getVirtualHosts(0).getRoutes(0).hasNonForwardingAction()).isTrue();
                assertThat(manager.getHttpFiltersList()).extracting(f -> f.getName())
                        .containsExactly("envoy.filters.http.router");
            });
            DownstreamTlsContext tls = chain.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
            assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
            assertThat(tls.getCommonTlsContext().getTlsCertificateProviderInstance().getInstanceName()).isEqualTo("default");
            assertThat(tls.getCommonTlsContext().getValidationContext().getCaCertificateProviderInstance().getInstanceName())
                    .isEqualTo("default");
        });
    }

    @Test
    void aStrictProxylessServerIsCalledOverMutualTlsByProxylessClientsAndSidecarsNamingItsIdentity() throws Exception {
        MeshSnapshot mesh = mesh(greeterStrict());

        UpstreamTlsContext proxyless = cluster(Translator.translate(mesh, CLIENT), GREETER).getTransportSocket()
                .getTypedConfig().unpack(UpstreamTlsContext.class);
        assertThat(proxyless.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
                .getMatchSubjectAltNamesList()).extracting(StringMatcher::getExact)
                .containsExactly("spiffe://cluster.local/ns/default/sa/greeter");
        ProxyResources sidecar = Translator.translate(mesh, ProxyNode.sidecar(ref("default/legacy-1"), "default"));
        UpstreamTlsContext auto = cluster(sidecar, GREETER).getTransportSocketMatches(0).getTransportSocket()
                .getTypedConfig().unpack(UpstreamTlsContext.class);
        assertThat(auto.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
                .getMatchTypedSubjectAltNamesList()).extracting(m -> m.getMatcher().getExact())
                .containsExactly("spiffe://cluster.local/ns/default/sa/greeter");
        assertThat(sidecar.endpoints().stream().filter(e -> e.getClusterName().equals(GREETER))
                .flatMap(e -> e.getEndpoints(0).getLbEndpointsList().stream())
                .map(lb -> lb.getMetadata().getFilterMetadataOrThrow("envoy.transport_socket_match")
                        .getFieldsOrThrow("tlsMode").getStringValue()))
                .containsExactly("istio");
    }

    @Test
    void aPermissiveProxylessServerServesPlaintextSinceGrpcJavaCannotTellTlsFromPlaintextOnOnePort() {
        Listener server = listener(Translator.translate(mesh(), GREETER_SERVER), GREETER_LISTENER);

        assertThat(server.getFilterChainsList()).singleElement().satisfies(chain ->
                assertThat(chain.hasTransportSocket()).isFalse());
    }

    @Test
    void aProxylessProcessGetsTheServerListenersOfItsOwnWorkloadOnly() {
        assertThat(serverListeners(CLIENT)).isEmpty();
        assertThat(serverListeners(ProxyNode.proxylessServer(ref("shop/cart-1"))))
                .containsExactly("grpc/server?xds.resource.listening_address=0.0.0.0:50052",
                        "grpc/server?xds.resource.listening_address=10.0.0.5:50052");
        assertThat(serverListeners(ProxyNode.proxylessServer(ref("default/reviews-1")))).as("a meshed workload").isEmpty();
        assertThat(GREETER_SERVER.groupKey()).isEqualTo("proxyless/default/greeter-1");
    }

    private static List<String> serverListeners(ProxyNode proxy) {
        return Translator.translate(mesh(), proxy).listeners().stream().map(Listener::getName)
                .filter(name -> name.startsWith("grpc/server")).toList();
    }

    @Test
    void withoutACaProxylessClustersAreTheSidecarsAndServersArePlaintext() {
        MeshSnapshot plain = mesh(greeterStrict()).withTrust(TrustBundle.NONE);
        ProxyResources resources = Translator.translate(plain, GREETER_SERVER);

        assertThat(resources.clusters()).isEqualTo(ClusterBuilder.outbound(plain));
        assertThat(listener(resources, GREETER_LISTENER).getFilterChains(0).hasTransportSocket()).isFalse();
    }

    @Test
    void theProxylessGroupPassesValidation() {
        assertThat(SnapshotValidator.validate(Translator.translate(mesh(greeterStrict()), GREETER_SERVER))).isEmpty();
    }

    private static Listener listener(ProxyResources resources, String name) {
        return resources.listeners().stream().filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
    }

    private static Cluster cluster(ProxyResources resources, String name) {
        return resources.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }
}
