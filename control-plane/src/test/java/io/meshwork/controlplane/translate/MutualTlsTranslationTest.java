package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.TrustBundle;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MutualTlsTranslationTest {

    private static final TrustBundle TRUST = new TrustBundle("cluster.local",
            List.of("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));

    private static MeshSnapshot mesh(PeerAuthentication... policies) {
        MeshSnapshot plain = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .service("default/legacy", "app=legacy", http(8080))
                .workload(workload("default/reviews-1", "app=reviews", "10.0.0.1").serviceAccount("reviews")
                        .meshedPort("http", 9080, 19080))
                .workload(workload("default/reviews-2", "app=reviews,track=old", "10.0.0.2").serviceAccount("reviews-old")
                        .meshedPort("http", 9080, 19080))
                .workload(workload("default/legacy-1", "app=legacy", "10.0.0.3").port("http", 8080))
                .build();
        return MeshFixture.withPolicies(plain, TRUST, policies);
    }

    private static PeerAuthentication policy(String ref, Map<String, String> selector, PeerAuthentication.Mode mode,
                                             Map<Integer, PeerAuthentication.Mode> ports) {
        return new PeerAuthentication(ref(ref), selector, mode, ports);
    }

    @Test
    void withoutACaNothingUsesTls() {
        MeshSnapshot plain = mesh().withTrust(TrustBundle.NONE);
        ProxyResources resources = Translator.translate(plain, ProxyNode.sidecar(ref("default/reviews-1"), "reviews"));

        assertThat(resources.secrets()).isEmpty();
        assertThat(resources.clusters()).allSatisfy(c -> assertThat(c.getTransportSocketMatchesCount()).isZero());
        assertThat(resources.listeners()).allSatisfy(l -> assertThat(l.getListenerFiltersCount()).isZero());
    }

    @Test
    void outboundClustersTakeTlsToMeshedEndpointsNamingTheirServiceAccounts() throws Exception {
        ProxyResources resources = Translator.translate(mesh(), ProxyNode.sidecar(ref("default/legacy-1"), "default"));

        assertThat(resources.secrets()).singleElement().satisfies(secret -> {
            assertThat(secret.getName()).isEqualTo("ROOTCA");
            assertThat(secret.getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8()).contains("MIIB");
        });
        Cluster reviews = cluster(resources, "outbound|9080||reviews.default.svc.cluster.local");
        assertThat(reviews.getTransportSocketMatchesList()).extracting(Cluster.TransportSocketMatch::getName)
                .containsExactly("tlsMode-istio", "tlsMode-disabled");
        UpstreamTlsContext tls = reviews.getTransportSocketMatches(0).getTransportSocket().getTypedConfig()
                .unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).isEqualTo("outbound_.9080_._.reviews.default.svc.cluster.local");
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
                .getMatchTypedSubjectAltNamesList())
                .allSatisfy(m -> assertThat(m.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.URI))
                .extracting(m -> m.getMatcher().getExact())
                .containsExactly("spiffe://cluster.local/ns/default/sa/reviews", "spiffe://cluster.local/ns/default/sa/reviews-old");
        assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig()
                .getName()).isEqualTo("ROOTCA");
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");

        ClusterLoadAssignment endpoints = resources.endpoints().stream()
                .filter(e -> e.getClusterName().equals(reviews.getName())).findFirst().orElseThrow();
        assertThat(endpoints.getEndpoints(0).getLbEndpointsList()).allSatisfy(lb ->
                assertThat(tlsMode(lb)).isEqualTo("istio"));
        ClusterLoadAssignment legacy = resources.endpoints().stream()
                .filter(e -> e.getClusterName().equals("outbound|8080||legacy.default.svc.cluster.local")).findFirst().orElseThrow();
        assertThat(legacy.getEndpoints(0).getLbEndpointsList()).allSatisfy(lb -> assertThat(tlsMode(lb)).isNull());
    }

    @Test
    void permissiveByDefaultAcceptsTlsAndPlaintextToldApartByTheInspector() throws Exception {
        Listener inbound = listener(mesh(), "inbound|9080");

        assertThat(inbound.getListenerFiltersList()).extracting(f -> f.getName())
                .containsExactly("envoy.filters.listener.tls_inspector");
        assertThat(inbound.getFilterChainsList()).extracting(c -> c.getFilterChainMatch().getTransportProtocol())
                .containsExactly("tls", "raw_buffer");
        DownstreamTlsContext tls = inbound.getFilterChains(0).getTransportSocket().getTypedConfig()
                .unpack(DownstreamTlsContext.class);
        assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
        assertThat(tls.getCommonTlsContext().getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
        assertThat(inbound.getFilterChains(1).hasTransportSocket()).isFalse();

        Listener captured = listener(mesh(), "inbound");
        assertThat(captured.getFilterChainsList()).extracting(c -> c.getFilterChainMatch().getDestinationPort().getValue()
                        + "/" + c.getFilterChainMatch().getTransportProtocol())
                .containsExactly("9080/tls", "9080/raw_buffer");
    }

    @Test
    void strictOnTheMeshLeavesOnlyTheTlsChainAndAWorkloadPolicyOverridesItPerPort() {
        PeerAuthentication meshStrict = policy("meshwork-system/default", Map.of(), PeerAuthentication.Mode.STRICT, Map.of());
        assertThat(listener(mesh(meshStrict), "inbound|9080").getFilterChainsList())
                .extracting(c -> c.getFilterChainMatch().getTransportProtocol()).containsExactly("tls");

        PeerAuthentication portDisabled = policy("default/reviews", Map.of("app", "reviews"),
                PeerAuthentication.Mode.UNSET, Map.of(9080, PeerAuthentication.Mode.DISABLE));
        MeshSnapshot mesh = mesh(meshStrict, portDisabled);
        List<FilterChain> chains = listener(mesh, "inbound|9080").getFilterChainsList();
        assertThat(chains).singleElement().satisfies(c -> {
            assertThat(c.hasTransportSocket()).isFalse();
            assertThat(c.getFilterChainMatch().getTransportProtocol()).isEmpty();
        });
        // and clients stop offering TLS to it, which it would not understand
        ProxyResources client = Translator.translate(mesh, ProxyNode.sidecar(ref("default/legacy-1"), "default"));
        assertThat(client.endpoints().stream().filter(e -> e.getClusterName().startsWith("outbound|9080"))
                .flatMap(e -> e.getEndpoints(0).getLbEndpointsList().stream()).map(MutualTlsTranslationTest::tlsMode))
                .containsOnlyNulls();
    }

    @Test
    void aNamespaceDefaultBeatsTheMeshDefaultAndAWorkloadPolicyBeatsBoth() {
        PeerAuthentication meshDisable = policy("meshwork-system/default", Map.of(), PeerAuthentication.Mode.DISABLE, Map.of());
        PeerAuthentication namespaceStrict = policy("default/default", Map.of(), PeerAuthentication.Mode.STRICT, Map.of());
        PeerAuthentication oldPermissive = policy("default/old", Map.of("track", "old"), PeerAuthentication.Mode.PERMISSIVE,
                Map.of());
        MeshSnapshot mesh = mesh(meshDisable, namespaceStrict, oldPermissive);

        assertThat(mesh.mtlsModeOf(mesh.workloads().get(ref("default/reviews-1")), 9080))
                .isEqualTo(PeerAuthentication.Mode.STRICT);
        assertThat(mesh.mtlsModeOf(mesh.workloads().get(ref("default/reviews-2")), 9080))
                .isEqualTo(PeerAuthentication.Mode.PERMISSIVE);
        assertThat(mesh(meshDisable).mtlsModeOf(mesh.workloads().get(ref("default/reviews-1")), 9080))
                .isEqualTo(PeerAuthentication.Mode.DISABLE);
        assertThat(mesh().mtlsModeOf(mesh.workloads().get(ref("default/reviews-1")), 9080))
                .isEqualTo(PeerAuthentication.Mode.PERMISSIVE);
    }

    private static Listener listener(MeshSnapshot mesh, String name) {
        return Translator.translate(mesh, ProxyNode.sidecar(ref("default/reviews-1"), "reviews")).listeners().stream()
                .filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
    }

    private static Cluster cluster(ProxyResources resources, String name) {
        return resources.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    private static String tlsMode(LbEndpoint endpoint) {
        var match = endpoint.getMetadata().getFilterMetadataMap().get("envoy.transport_socket_match");
        return match == null ? null : match.getFieldsOrThrow("tlsMode").getStringValue();
    }
}
