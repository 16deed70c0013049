package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.grpc;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.tcp;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenerBuilderTest {

    private static final MeshSnapshot MESH = MeshFixture.mesh()
            .service("default/reviews", "app=reviews", http(9080))
            .service("default/db", "app=db", tcp(5432))
            .service("default/frontend", "app=frontend", http(8080), tcp(9000))
            .service("shop/cart", "app=cart", grpc(7070))
            .workload(workload("default/frontend-1", "app=frontend", "10.0.0.1")
                    .meshedPort("http", 8080, 18080).meshedPort("tcp", 9000, 19000))
            .workload(workload("default/legacy-1", "app=legacy", "10.0.0.2").port("http", 8080))
            .build();

    private static List<Listener> listeners(ProxyNode proxy) {
        return new ListenerBuilder(MESH, proxy).build();
    }

    private static Listener listener(List<Listener> listeners, String name) {
        return listeners.stream().filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
    }

    private static HttpConnectionManager manager(Filter filter) throws Exception {
        return filter.getTypedConfig().unpack(HttpConnectionManager.class);
    }

    @Test
    void outboundListensOnAllAddressesPort15001() {
        Listener outbound = listener(listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa")), "outbound");

        assertThat(outbound.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(outbound.getAddress().getSocketAddress().getPortValue()).isEqualTo(15001);
    }

    @Test
    void outboundEndsWithAnUnmatchedHttpChainUsingRdsOverAdsAndTheTypedRouter() throws Exception {
        Listener outbound = listener(listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa")), "outbound");

        FilterChain last = outbound.getFilterChains(outbound.getFilterChainsCount() - 1);
        HttpConnectionManager manager = manager(terminal(last));
        assertThat(last.hasFilterChainMatch()).isFalse();
        assertThat(manager.getRds().getRouteConfigName()).isEqualTo("outbound");
        assertThat(manager.getRds().getConfigSource().hasAds()).isTrue();
        assertThat(manager.getHttpFilters(manager.getHttpFiltersCount() - 1).getTypedConfig().is(Router.class)).isTrue();
    }

    @Test
    void everySidecarChainStartsWithAConnectionLimitAndItsHttpManagersCarryEnvoysTimeouts() throws Exception {
        List<Listener> sidecar = listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa"));

        assertThat(sidecar).extracting(Listener::getName).contains("outbound", "inbound", "inbound|8080", "inbound|9000");
        for (Listener listener : sidecar) {
            for (FilterChain chain : listener.getFilterChainsList()) {
                ConnectionLimit limit = chain.getFilters(0).getTypedConfig().unpack(ConnectionLimit.class);
                assertThat(chain.getFilters(0).getName()).isEqualTo("envoy.filters.network.connection_limit");
                assertThat(limit.getMaxConnections().getValue()).as(listener.getName()).isEqualTo(4096);
                if (terminal(chain).getTypedConfig().is(HttpConnectionManager.class)) {
                    HttpConnectionManager manager = manager(terminal(chain));
                    assertThat(manager.getRequestHeadersTimeout().getSeconds()).isEqualTo(10);
                    assertThat(manager.getCommonHttpProtocolOptions().getIdleTimeout().getSeconds()).isEqualTo(3600);
                    assertThat(manager.getStreamIdleTimeout().getSeconds()).isEqualTo(300);
                    assertThat(manager.getCommonHttpProtocolOptions().hasMaxConnectionDuration()).isFalse();
                }
            }
        }
    }

    @Test
    void proxylessListenersGetNoConnectionLimit() {
        for (Listener listener : listeners(ProxyNode.proxyless("default"))) {
            assertThat(listener.getApiListener().hasApiListener()).isTrue();
            assertThat(listener.getFilterChainsList()).isEmpty();
        }
    }

    @Test
    void eachTcpServicePortGetsATcpProxyChainMatchedOnDestinationPort() throws Exception {
        Listener outbound = listener(listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa")), "outbound");

        List<FilterChain> tcpChains = outbound.getFilterChainsList().stream().filter(FilterChain::hasFilterChainMatch).toList();

        assertThat(tcpChains).extracting(c -> c.getFilterChainMatch().getDestinationPort().getValue()).containsExactly(5432, 9000);
        assertThat(terminal(tcpChains.get(0)).getTypedConfig().unpack(TcpProxy.class).getCluster())
                .isEqualTo("outbound|5432||db.default.svc.cluster.local");
    }

    @Test
    void aMeshedWorkloadGetsAnInboundListenerPerPortOnItsAddress() {
        List<Listener> listeners = listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa"));

        assertThat(listeners).extracting(Listener::getName)
                .containsExactly("outbound", "inbound|8080", "inbound|9000", "inbound");
        var address = listener(listeners, "inbound|8080").getAddress().getSocketAddress();
        assertThat(address.getAddress()).isEqualTo("10.0.0.1");
        assertThat(address.getPortValue()).isEqualTo(8080);
    }

    @Test
    void anHttpInboundPortRoutesEverythingToTheAppPortCluster() throws Exception {
        Listener inbound = listener(listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa")), "inbound|8080");

        HttpConnectionManager manager = manager(terminal(inbound.getFilterChains(0)));

        var host = manager.getRouteConfig().getVirtualHosts(0);
        assertThat(host.getDomainsList()).containsExactly("*");
        assertThat(host.getRoutes(0).getRoute().getCluster()).isEqualTo("inbound|18080||");
        assertThat(manager.getHttpFilters(0).getTypedConfig().is(Router.class)).isTrue();
    }

    @Test
    void aTcpInboundPortProxiesToTheAppPortCluster() throws Exception {
        Listener inbound = listener(listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa")), "inbound|9000");

        assertThat(terminal(inbound.getFilterChains(0)).getTypedConfig().unpack(TcpProxy.class).getCluster())
                .isEqualTo("inbound|19000||");
    }

    @Test
    void anInboundPortThatServicesDisagreeOnTakesTheRichestProtocol() throws Exception {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/fast", "app=greeter", MeshFixture.port("grpc", 7070, Protocol.HTTP2))
                .service("default/greeter", "app=greeter", grpc(7070))
                .workload(workload("default/greeter-1", "app=greeter", "10.0.0.7").meshedPort("grpc", 7070, 17070))
                .build();

        Listener inbound = listener(new ListenerBuilder(mesh, ProxyNode.sidecar(ref("default/greeter-1"), "sa")).build(),
                "inbound|7070");

        var route = manager(terminal(inbound.getFilterChains(0))).getRouteConfig().getVirtualHosts(0).getRoutes(0);
        assertThat(route.getRoute().getTimeout().getSeconds()).as("gRPC: no route timeout").isZero();
    }

    @Test
    void anInboundPortNoServiceSelectsIsProxiedAsTcp() throws Exception {
        MeshSnapshot mesh = MeshFixture.mesh()
                .workload(workload("default/batch-1", "app=batch", "10.0.0.8").meshedPort("metrics", 9100, 19100))
                .build();

        Listener inbound = listener(new ListenerBuilder(mesh, ProxyNode.sidecar(ref("default/batch-1"), "sa")).build(),
                "inbound|9100");

        assertThat(terminal(inbound.getFilterChains(0)).getTypedConfig().is(TcpProxy.class)).isTrue();
    }

    @Test
    void theCaptureListenerOn15006HasAChainPerInboundPort() {
        Listener captured = listener(listeners(ProxyNode.sidecar(ref("default/frontend-1"), "sa")), "inbound");

        assertThat(captured.getAddress().getSocketAddress().getPortValue()).isEqualTo(15006);
        assertThat(captured.getFilterChainsList()).extracting(c -> c.getFilterChainMatch().getDestinationPort().getValue())
                .containsExactly(8080, 9000);
    }

    @Test
    void anUnmeshedWorkloadGetsNoInboundListener() {
        assertThat(listeners(ProxyNode.sidecar(ref("default/legacy-1"), "sa"))).extracting(Listener::getName)
                .containsExactly("outbound");
    }

    @Test
    void aSidecarWhoseWorkloadIsNotDeclaredYetStillGetsOutbound() {
        assertThat(listeners(ProxyNode.sidecar(ref("default/not-yet-1"), "sa"))).extracting(Listener::getName)
                .containsExactly("outbound");
    }

    @Test
    void aProxylessClientGetsApiListenersNamedAfterEveryServicePort() {
        assertThat(listeners(ProxyNode.proxyless("default"))).extracting(Listener::getName).containsExactly(
                "db.default.svc.cluster.local:5432", "db.default:5432", "db:5432",
                "frontend.default.svc.cluster.local:8080", "frontend.default:8080", "frontend:8080",
                "frontend.default.svc.cluster.local:9000", "frontend.default:9000", "frontend:9000",
                "reviews.default.svc.cluster.local:9080", "reviews.default:9080", "reviews:9080",
                "cart.shop.svc.cluster.local:7070", "cart.shop:7070");
    }

    @Test
    void anApiListenerUsesRdsOverAdsForItsPortAndEndsWithTheTypedRouter() throws Exception {
        Listener api = listener(listeners(ProxyNode.proxyless("shop")), "cart:7070");

        HttpConnectionManager manager = api.getApiListener().getApiListener().unpack(HttpConnectionManager.class);

        assertThat(api.hasAddress()).isFalse();
        assertThat(manager.getRds().getRouteConfigName()).isEqualTo("cart.shop.svc.cluster.local:7070");
        assertThat(manager.getRds().getConfigSource().hasAds()).isTrue();
        assertThat(manager.getHttpFilters(manager.getHttpFiltersCount() - 1).getName()).isEqualTo("envoy.filters.http.router");
        assertThat(manager.getHttpFilters(manager.getHttpFiltersCount() - 1).getTypedConfig().is(Router.class)).isTrue();
    }

    /** The terminal filter of a chain: its last, after the connection limit. */
    static io.envoyproxy.envoy.config.listener.v3.Filter terminal(
            io.envoyproxy.envoy.config.listener.v3.FilterChainOrBuilder chain) {
        return chain.getFilters(chain.getFiltersCount() - 1);
    }
}
