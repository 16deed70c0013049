package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.backend;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.tcp;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Translating many proxies of one snapshot through one memo: same results, shared parts built once. */
class TranslationCacheTest {

    private static final MeshSnapshot MESH = MeshFixture.mesh()
            .service("default/frontend", "app=frontend", http(8080))
            .service("default/reviews", "app=reviews", http(9080))
            .service("default/reviews-v1", "app=reviews,version=v1", http(9080))
            .service("default/reviews-v2", "app=reviews,version=v2", http(9080))
            .service("shop/cart", "app=cart", http(8080), tcp(6379))
            .workload(workload("default/frontend-1", "app=frontend", "10.0.0.1").meshedPort("http", 8080, 18080))
            .workload(workload("default/frontend-2", "app=frontend", "10.0.0.2").meshedPort("http", 8080, 18081))
            .workload(workload("default/reviews-v1-1", "app=reviews,version=v1", "10.0.1.1").port("http", 9080))
            .workload(workload("default/reviews-v2-1", "app=reviews,version=v2", "10.0.2.1").port("http", 9080))
            .workload(workload("shop/cart-1", "app=cart", "10.0.3.1").meshedPort("http", 8080, 18080).port("tcp", 6379))
            .split("default/reviews-split", "reviews", backend("reviews-v1", 90), backend("reviews-v2", 10))
            .build();

    private static final ProxyNode FRONTEND_1 = ProxyNode.sidecar(ref("default/frontend-1"), "frontend");
    private static final ProxyNode FRONTEND_2 = ProxyNode.sidecar(ref("default/frontend-2"), "frontend");
    private static final ProxyNode CART_1 = ProxyNode.sidecar(ref("shop/cart-1"), "cart");

    private final TranslationCache cache = Translator.forSnapshot(MESH);

    @Test
    void everyKindOfProxyGetsWhatTheBuildersGiveIt() {
        for (ProxyNode proxy : new ProxyNode[] {FRONTEND_1, FRONTEND_2, CART_1,
                ProxyNode.sidecar(ref("default/not-yet-declared"), "x"), ProxyNode.proxyless("default"), ProxyNode.proxyless("shop")}) {
            assertThat(cache.translate(proxy)).as(proxy.groupKey()).isEqualTo(ProxyResources.of(
                    new ClusterBuilder(MESH, proxy).build(), new EndpointBuilder(MESH).build(),
                    new ListenerBuilder(MESH, proxy).build(), new RouteBuilder(MESH, proxy).build()));
        }
    }

    @Test
    void theVersionsDoNotDependOnTheOrderInWhichProxiesAreTranslated() {
        TranslationCache other = Translator.forSnapshot(MESH);
        other.translate(ProxyNode.proxyless("shop"));
        other.translate(CART_1);

        assertThat(other.translate(FRONTEND_1)).isEqualTo(cache.translate(FRONTEND_1));
    }

    @Test
    void endpointsAndOutboundClustersAreBuiltOnceForAllProxies() {
        ProxyResources frontend = cache.translate(FRONTEND_1);
        ProxyResources cart = cache.translate(CART_1);
        ProxyResources grpcClient = cache.translate(ProxyNode.proxyless("default"));

        assertThat(cart.endpoints()).isSameAs(frontend.endpoints()).isSameAs(grpcClient.endpoints());
        assertThat(cart.clusters().get(0)).isSameAs(frontend.clusters().get(0)).isSameAs(grpcClient.clusters().get(0));
    }

    @Test
    void sidecarsOfOneNamespaceShareTheirRoutes() {
        assertThat(cache.translate(FRONTEND_2).routes()).isSameAs(cache.translate(FRONTEND_1).routes());
    }

    @Test
    void sidecarsOfAnotherNamespaceGetTheirOwnRoutes() {
        ProxyResources frontend = cache.translate(FRONTEND_1);
        ProxyResources cart = cache.translate(CART_1);

        assertThat(cart.routesVersion()).isNotEqualTo(frontend.routesVersion());
        assertThat(cart.routes().get(0).getVirtualHostsList()).anySatisfy(host -> assertThat(host.getDomainsList()).contains("cart"));
    }

    @Test
    void aVirtualHostIsBuiltOnceForAllNamespacesButItsOwn() {
        VirtualHost fromShop = reviewsHost(cache.translate(CART_1));
        VirtualHost fromOps = reviewsHost(cache.translate(ProxyNode.sidecar(ref("ops/tool-1"), "tool")));
        VirtualHost fromDefault = reviewsHost(cache.translate(FRONTEND_1));

        assertThat(fromOps).isSameAs(fromShop);
        assertThat(fromDefault.getDomainsList()).contains("reviews");
        assertThat(fromShop.getDomainsList()).doesNotContain("reviews");
    }

    private static VirtualHost reviewsHost(ProxyResources resources) {
        return resources.routes().get(0).getVirtualHostsList().stream()
                .filter(host -> host.getName().equals("reviews.default.svc.cluster.local:9080")).findFirst().orElseThrow();
    }

    @Test
    void eachSidecarKeepsItsOwnInboundPart() {
        ProxyResources first = cache.translate(FRONTEND_1);
        ProxyResources second = cache.translate(FRONTEND_2);

        assertThat(first.clusters()).extracting(c -> c.getName()).contains("inbound|18080||").doesNotContain("inbound|18081||");
        assertThat(second.clusters()).extracting(c -> c.getName()).contains("inbound|18081||");
        assertThat(second.clustersVersion()).isNotEqualTo(first.clustersVersion());
        assertThat(second.listenersVersion()).isNotEqualTo(first.listenersVersion());
    }

    @Test
    void proxylessClientsOfOneNamespaceShareTheirApiListeners() {
        assertThat(cache.translate(ProxyNode.proxyless("default")).listeners())
                .isSameAs(cache.translate(ProxyNode.proxyless("default")).listeners());
    }

    @Test
    void proxiesTranslatedConcurrentlyGetWhatTheyGetOneAtATime() throws Exception {
        List<ProxyNode> proxies = List.of(FRONTEND_1, FRONTEND_2, CART_1, ProxyNode.proxyless("default"), ProxyNode.proxyless("shop"));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ProxyResources>> results = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                TranslationCache shared = Translator.forSnapshot(MESH);
                proxies.forEach(proxy -> results.add(pool.submit(() -> shared.translate(proxy))));
            }
            for (int i = 0; i < results.size(); i++) {
                ProxyNode proxy = proxies.get(i % proxies.size());
                assertThat(results.get(i).get()).as(proxy.groupKey()).isEqualTo(Translator.translate(MESH, proxy));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theCacheTranslatesTheSnapshotItWasMadeFor() {
        assertThat(cache.snapshot()).isSameAs(MESH);
    }

    @Test
    void inAMultiClusterMeshEachPlaceGetsItsOwnPrioritiesAndOneClusterKeepsSharedEndpoints() {
        MeshSnapshot multi = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", MeshFixture.http(9080))
                .workload(MeshFixture.workload("default/west-client", "app=client", "10.0.0.9").locality("eu", "eu-a")
                        .cluster("west"))
                .workload(MeshFixture.workload("default/east-client@east", "app=client", "10.2.0.9").locality("us", "us-a")
                        .cluster("east"))
                .workload(MeshFixture.workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080)
                        .locality("eu", "eu-a").cluster("west"))
                .workload(MeshFixture.workload("default/r-2@east", "app=reviews", "10.2.0.2").port("http", 9080)
                        .locality("us", "us-a").cluster("east"))
                .build();
        TranslationCache translation = Translator.forSnapshot(multi);

        var west = translation.translate(ProxyNode.sidecar(ref("default/west-client"), "client")).endpoints();
        var east = translation.translate(ProxyNode.sidecar(ref("default/east-client@east"), "client")).endpoints();

        assertThat(priorities(west)).containsExactly("eu-a P0", "us-a P1");
        assertThat(priorities(east)).containsExactly("us-a P0", "eu-a P1");
        assertThat(priorities(cache.translate(FRONTEND_1).endpoints())).as("one cluster: no priorities").allMatch(p -> p.endsWith("P0"));
    }

    private static List<String> priorities(List<io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment> endpoints) {
        return endpoints.stream().flatMap(a -> a.getEndpointsList().stream())
                .map(l -> l.getLocality().getZone() + " P" + l.getPriority()).toList();
    }
}
