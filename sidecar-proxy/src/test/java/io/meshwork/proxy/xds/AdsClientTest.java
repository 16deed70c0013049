package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.TestControlPlane;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdsClientTest {

    private static final NodeIdentity NODE = new NodeIdentity("productpage", "default", "bookinfo", "test-1");

    private final TestControlPlane controlPlane = new TestControlPlane();
    private final ConfigStore store = new ConfigStore();
    private NioEventLoopGroup group;
    private AdsClient client;

    @BeforeEach
    void start() throws Exception {
        controlPlane.start();
        group = new NioEventLoopGroup(1);
        client = new AdsClient(controlPlane.target(), NODE, store, group, NioSocketChannel.class);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        controlPlane.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static MeshResources reviews() {
        return new MeshResources("default")
                .service("reviews", 9080, "http", List.of(Backend.of(9101, "reviews-v1", "v1"),
                        Backend.of(9102, "reviews-v2", "v2")))
                .virtualHost("reviews", 9080, List.of())
                .inbound("127.0.0.1", 9080, 8080, true, false);
    }

    @Test
    void appliesTheCompleteConfigWithEndpointsJoinedToClusters() {
        controlPlane.setSnapshot("productpage", "default", reviews().snapshot("1"));
        client.start();

        Eventually.await(Duration.ofSeconds(10), "a complete config", store::hasCompleteConfig);
        ProxyConfig config = store.current();
        assertThat(config.listeners()).containsKeys("outbound", "inbound|9080");
        assertThat(config.routes()).containsKey("outbound");
        String cluster = MeshResources.clusterName("reviews", "default", 9080);
        assertThat(config.clusters().get(cluster).endpoints()).extracting(e -> e.version()).containsExactly("v1", "v2");
        assertThat(config.clusters().get("inbound|8080||").endpoints()).hasSize(1);
        assertThat(config.versions()).containsValue("1");
    }

    @Test
    void sendsTheNodeIdentityOfTheContract() {
        controlPlane.setSnapshot("productpage", "default", reviews().snapshot("1"));
        client.start();

        Eventually.await(Duration.ofSeconds(10), "a request", () -> !controlPlane.requests().isEmpty());
        var node = controlPlane.requests().get(0).getNode();
        assertThat(node.getId()).isEqualTo("sidecar~productpage.default~test-1");
        assertThat(node.getMetadata().getFieldsMap()).containsKeys("MESH_PROXY_TYPE", "MESH_WORKLOAD",
                "MESH_NAMESPACE", "MESH_SERVICE_ACCOUNT");
        assertThat(node.getMetadata().getFieldsMap().get("MESH_PROXY_TYPE").getStringValue()).isEqualTo("sidecar");
    }

    @Test
    void nacksAnInvalidRouteNamingResourceAndFieldAndKeepsTheLastGoodConfig() {
        MeshResources good = reviews();
        controlPlane.setSnapshot("productpage", "default", good.snapshot("1"));
        client.start();
        Eventually.await(Duration.ofSeconds(10), "a complete config", store::hasCompleteConfig);
        ProxyConfig before = store.current();

        RouteConfiguration broken = good.outboundRoutes().toBuilder()
                .addVirtualHosts(good.outboundRoutes().getVirtualHosts(0).toBuilder().setName("bad").clearDomains()
                        .addDomains("bad").setRoutes(0, MeshResources.weightedRoute(
                                MeshResources.regexMatch("/api/(unclosed", Map.of()),
                                Map.of(MeshResources.clusterName("reviews", "default", 9080), 1))))
                .build();
        controlPlane.setSnapshot("productpage", "default", Snapshot.create(good.clusters().values(), "1",
                good.assignments().values(), "1", good.allListeners(), "1", List.of(broken), "2", List.of(), "1"));

        Eventually.await(Duration.ofSeconds(10), "a NACK", () -> !controlPlane.nacks().isEmpty());
        var nack = controlPlane.nacks().get(0);
        assertThat(nack.getErrorDetail().getMessage())
                .contains("RouteConfiguration \"outbound\"")
                .contains("virtual_hosts[1].routes[0].match.safe_regex.regex");
        assertThat(nack.getVersionInfo()).isEqualTo("1");
        assertThat(store.current()).isSameAs(before);
    }

    @Test
    void backsOffWhenTheControlPlaneKeepsResendingTheSameInvalidResource() throws Exception {
        MeshResources good = reviews();
        controlPlane.setSnapshot("productpage", "default", good.snapshot("1"));
        client.start();
        Eventually.await(Duration.ofSeconds(10), "a complete config", store::hasCompleteConfig);
        var cluster = good.clusters().values().iterator().next().toBuilder()
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-1)).build();
        controlPlane.setSnapshot("productpage", "default", Snapshot.create(List.of(cluster), "2",
                good.assignments().values(), "1", good.allListeners(), "1", List.of(good.outboundRoutes()), "1",
                List.of(), "1"));

        Thread.sleep(2000);

        // java-control-plane answers each NACK at once; the client spaces them 0.5 s, 1 s, 2 s, ...
        assertThat(controlPlane.nacks()).hasSizeBetween(1, 4);
        assertThat(controlPlane.nacks().get(0).getErrorDetail().getMessage())
                .contains("field connect_timeout must be positive");
    }

    @Test
    void keepsServingAndReconnectsWhenTheControlPlaneRestarts() throws Exception {
        controlPlane.setSnapshot("productpage", "default", reviews().snapshot("1"));
        client.start();
        Eventually.await(Duration.ofSeconds(10), "a complete config", store::hasCompleteConfig);
        int port = controlPlane.port();

        controlPlane.stop();
        Eventually.await(Duration.ofSeconds(10), "disconnection", () -> !store.controlPlaneConnected());
        assertThat(store.current().clusters()).isNotEmpty();

        TestControlPlane restarted = new TestControlPlane().startOn(port);
        try {
            MeshResources changed = reviews().endpoints("reviews", 9080, List.of(Backend.of(9103, "reviews-v3", "v3")));
            restarted.setSnapshot("productpage", "default", changed.snapshot("2"));
            String cluster = MeshResources.clusterName("reviews", "default", 9080);
            Eventually.await(Duration.ofSeconds(15), "the restarted control plane's config",
                    () -> store.current().clusters().get(cluster).endpoints().get(0).port() == 9103);
            assertThat(store.controlPlaneConnected()).isTrue();
        } finally {
            restarted.close();
        }
    }
}
