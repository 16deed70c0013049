package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.source.local.GatewayManifests.CLASS;
import static io.meshwork.controlplane.source.local.GatewayManifests.gateway;
import static io.meshwork.controlplane.source.local.GatewayManifests.secret;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.controlplane.source.local.GatewayManifests;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A gateway proxy's resources from a Gateway and its HTTPRoutes: listeners per port, SNI chains, SDS, virtual hosts. */
class GatewayTranslationTest {

    private static final ProxyNode WEB = ProxyNode.gateway(ObjectRef.of("default", "web"), "web");

    private static final String SERVICES = """
            apiVersion: v1
            kind: Service
            metadata: {name: store}
            spec: {selector: {app: store}, ports: [{name: http, port: 8080}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: blog}
            spec: {selector: {app: blog}, ports: [{name: http, port: 8080}]}
            """;

    private static final String LISTENERS = """
            - {name: http, port: 8080, protocol: HTTP}
            - {name: a, port: 8443, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: a-cert}]}}
            - {name: b, port: 8443, protocol: HTTPS, hostname: "*.b.example.com", tls: {certificateRefs: [{name: b-cert}]}}
            """;

    private static final String ROUTES = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: store}
            spec:
              parentRefs: [{name: web}]
              hostnames: [a.example.com, shop.b.example.com, elsewhere.org]
              rules:
              - matches: [{path: {type: PathPrefix, value: /store}}]
                backendRefs: [{name: store, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: blog}
            spec:
              parentRefs: [{name: web, sectionName: http}]
              rules:
              - backendRefs: [{name: blog, port: 8080}]
            """;

    private static MeshSnapshot snapshot(String... documents) {
        return new LocalConfigLoader().load(Map.of("mesh.yaml", String.join("---\n", documents))).snapshot();
    }

    private static MeshSnapshot web() {
        return snapshot(SERVICES, CLASS, gateway(LISTENERS), secret("default", "a-cert"), secret("default", "b-cert"),
                ROUTES);
    }

    @Test
    void aRouterNodeIsTheGatewayOfItsNameWithItsOwnGroup() {
        Node node = Node.newBuilder().setId("router~web.default~pod-1").setMetadata(Struct.newBuilder()
                .putFields("MESH_PROXY_TYPE", Value.newBuilder().setStringValue("router").build())
                .putFields("MESH_WORKLOAD", Value.newBuilder().setStringValue("web").build())
                .putFields("MESH_NAMESPACE", Value.newBuilder().setStringValue("default").build())
                .putFields("MESH_SERVICE_ACCOUNT", Value.newBuilder().setStringValue("web").build())).build();

        assertThat(ProxyNode.fromNode(node)).isEqualTo(WEB);
        assertThat(WEB.groupKey()).isEqualTo("gateway/default/web");
    }

    @Test
    void oneListenerPerPortRoutesThroughRdsHttpPort() {
        ProxyResources resources = Translator.translate(web(), WEB);

        assertThat(resources.listeners()).extracting(Listener::getName).containsExactly("0.0.0.0_8080", "0.0.0.0_8443");
        Listener http = resources.listeners().get(0);
        assertThat(http.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
        assertThat(connectionManager(http.getFilterChains(0)).getRds().getRouteConfigName()).isEqualTo("http.8080");
        assertThat(resources.routes()).extracting(RouteConfiguration::getName).containsExactly("http.8080", "http.8443");
        assertThat(SnapshotValidator.validate(resources)).isEmpty();
    }

    @Test
    void httpsHasAChainPerListenerMatchedOnServerNameWithItsCertificateFromSds() throws Exception {
        ProxyResources resources = Translator.translate(web(), WEB);
        Listener https = resources.listeners().get(1);

        assertThat(https.getListenerFiltersList()).extracting(f -> f.getName()).containsExactly(MutualTls.TLS_INSPECTOR);
        assertThat(https.getFilterChainsList()).extracting(c -> List.copyOf(c.getFilterChainMatch().getServerNamesList()))
                .containsExactly(List.of("a.example.com"), List.of("*.b.example.com"));
        DownstreamTlsContext tls = https.getFilterChains(0).getTransportSocket().getTypedConfig()
                .unpack(DownstreamTlsContext.class);
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList())
                .extracting(s -> s.getName() + " ads=" + s.getSdsConfig().hasAds()).containsExactly("default/a-cert ads=true");
        assertThat(tls.getRequireClientCertificate().getValue()).isFalse();
        assertThat(connectionManager(https.getFilterChains(1)).getRds().getRouteConfigName()).isEqualTo("http.8443");

        assertThat(resources.secrets()).extracting(Secret::getName).containsExactly("default/a-cert", "default/b-cert");
        assertThat(resources.secrets().get(0).getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
                .isEqualTo(GatewayManifests.CERTIFICATE.privateKeyPem());
    }

    @Test
    void virtualHostsAreTheHostnamesWhereRouteAndListenerIntersect() {
        ProxyResources resources = Translator.translate(web(), WEB);

        assertThat(resources.routes().get(0).getVirtualHostsList()).extracting(v -> List.copyOf(v.getDomainsList()))
                .as("blog names the HTTP listener only; store names every listener, and on 8080 keeps all its names")
                .containsExactlyInAnyOrder(List.of("a.example.com", "a.example.com:8080"),
                        List.of("shop.b.example.com", "shop.b.example.com:8080"),
                        List.of("elsewhere.org", "elsewhere.org:8080"), List.of("*"));
        assertThat(resources.routes().get(1).getVirtualHostsList()).extracting(v -> List.copyOf(v.getDomainsList()))
                .as("elsewhere.org intersects neither HTTPS listener").containsExactly(
                        List.of("a.example.com", "a.example.com:8443"),
                        List.of("shop.b.example.com", "shop.b.example.com:8443"));
        assertThat(resources.routes().get(1).getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
                .isEqualTo("outbound|8080||store.default.svc.cluster.local");
        assertThat(resources.routes().get(1).getVirtualHosts(0).getRoutes(0).getMatch().getPathSeparatedPrefix())
                .isEqualTo("/store");
    }

    @Test
    void aListenerWhoseCertificateIsMissingIsLeftOutAndTheOthersServed() {
        ProxyResources resources = Translator.translate(snapshot(SERVICES, CLASS, gateway(LISTENERS),
                secret("default", "a-cert"), ROUTES), WEB);

        assertThat(resources.listeners().get(1).getFilterChainsList()).extracting(FilterChain::getName)
                .containsExactly("a");
        assertThat(resources.secrets()).extracting(Secret::getName).containsExactly("default/a-cert");
    }

    @Test
    void grpcRoutesAttachToHttpListenersAndOfAnHttpRouteAndAGrpcRouteSharingAHostnameTheOlderKeepsIt() {
        String grpcService = """
                apiVersion: v1
                kind: Service
                metadata: {name: echo}
                spec: {selector: {app: echo}, ports: [{name: grpc, port: 9090, appProtocol: grpc}]}
                """;
        String grpcRoutes = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: echo, creationTimestamp: "2026-12-01T00:00:00Z"}
                spec:
                  parentRefs: [{name: web, sectionName: http}]
                  hostnames: [grpc.example.com]
                  rules: [{matches: [{method: {service: echo.Echo}}], backendRefs: [{name: echo, port: 9090}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: early, creationTimestamp: "2026-01-01T00:00:00Z"}
                spec:
                  parentRefs: [{name: web, sectionName: http}]
                  hostnames: [blog.example.com]
                  rules: [{backendRefs: [{name: echo, port: 9090}]}]
                """;
        String blog = ROUTES.replace("  parentRefs: [{name: web, sectionName: http}]\n",
                "  parentRefs: [{name: web, sectionName: http}]\n  hostnames: [blog.example.com]\n");

        ProxyResources olderBlog = Translator.translate(snapshot(SERVICES, grpcService, CLASS, gateway(LISTENERS),
                secret("default", "a-cert"), secret("default", "b-cert"), blog.replace("metadata: {name: blog}",
                        "metadata: {name: blog, creationTimestamp: \"2025-01-01T00:00:00Z\"}"), grpcRoutes), WEB);

        RouteConfiguration http = olderBlog.routes().get(0);
        VirtualHost grpc = host(http, "grpc.example.com:8080");
        assertThat(grpc.getRoutes(0).getMatch().getPathSeparatedPrefix()).isEqualTo("/echo.Echo");
        assertThat(grpc.getRoutes(0).getRoute().getCluster()).isEqualTo("outbound|9090||echo.default.svc.cluster.local");
        assertThat(host(http, "blog.example.com:8080").getRoutesList()).as("the HTTPRoute blog, older, keeps "
                + "blog.example.com; the GRPCRoute early is left off there").singleElement()
                .satisfies(r -> assertThat(r.getRoute().getCluster()).isEqualTo("outbound|8080||blog.default.svc.cluster.local"));

        ProxyResources newerBlog = Translator.translate(snapshot(SERVICES, grpcService, CLASS, gateway(LISTENERS),
                secret("default", "a-cert"), secret("default", "b-cert"), blog.replace("metadata: {name: blog}",
                        "metadata: {name: blog, creationTimestamp: \"2026-06-01T00:00:00Z\"}"), grpcRoutes), WEB);
        assertThat(host(newerBlog.routes().get(0), "blog.example.com:8080").getRoutesList())
                .as("the GRPCRoute early, now the older, keeps blog.example.com").singleElement()
                .satisfies(r -> assertThat(r.getRoute().getCluster()).isEqualTo("outbound|9090||echo.default.svc.cluster.local"));
    }

    private static VirtualHost host(RouteConfiguration config, String name) {
        return config.getVirtualHostsList().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no virtual host " + name + " in " + config.getVirtualHostsList().stream()
                        .map(VirtualHost::getName).toList()));
    }

    @Test
    void sidecarsNeverGetAGatewaysKeyAndAnotherClassesGatewayGetsNoListener() {
        MeshSnapshot snapshot = web().withTrust(TrustBundle.NONE);
        ProxyResources sidecar = Translator.translate(snapshot, ProxyNode.sidecar(ObjectRef.of("default", "web"), "web"));
        assertThat(sidecar.secrets()).isEmpty();

        MeshSnapshot istios = snapshot(SERVICES, CLASS.replace("meshwork.io/", "istio.io/"), gateway(LISTENERS),
                secret("default", "a-cert"), ROUTES);
        ProxyResources resources = Translator.translate(istios, WEB);
        assertThat(resources.listeners()).isEmpty();
        assertThat(resources.secrets()).isEmpty();
        assertThat(resources.clusters()).as("the mesh's clusters, as a sidecar's").isNotEmpty();
    }

    private static HttpConnectionManager connectionManager(FilterChain chain) {
        try {
            return chain.getFilters(chain.getFiltersCount() - 1).getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
