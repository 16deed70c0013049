package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.grpc;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.http2;
import static io.meshwork.controlplane.translate.MeshFixture.port;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.tcp;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterBuilderTest {

    private static final ProxyNode PROXYLESS = ProxyNode.proxyless("default");

    private static List<Cluster> clusters(MeshSnapshot mesh, ProxyNode proxy) {
        return new ClusterBuilder(mesh, proxy).build();
    }

    private static Cluster cluster(List<Cluster> clusters, String name) {
        return clusters.stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void everyServicePortGetsAnEdsClusterFedByAds() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080), port("admin", 9901, Protocol.HTTP))
                .service("shop/cart", "app=cart", grpc(7070))
                .build();

        List<Cluster> clusters = clusters(mesh, PROXYLESS);

        assertThat(clusters).extracting(Cluster::getName).containsExactly(
                "outbound|9080||reviews.default.svc.cluster.local",
                "outbound|9901||reviews.default.svc.cluster.local",
                "outbound|7070||cart.shop.svc.cluster.local");
        Cluster reviews = clusters.get(0);
        assertThat(reviews.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(reviews.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
        assertThat(reviews.getEdsClusterConfig().getServiceName()).isEqualTo(reviews.getName());
        assertThat(reviews.getConnectTimeout().getSeconds()).isEqualTo(1);
        assertThat(reviews.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    }

    @Test
    void grpcAndHttp2PortsGetHttp2UpstreamWithKeepalivePingsAndAnHourOfIdleTimeout() throws Exception {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/a", "app=a", grpc(7070))
                .service("default/b", "app=b", http2(8081))
                .build();

        for (Cluster cluster : clusters(mesh, PROXYLESS)) {
            HttpProtocolOptions options = cluster.getTypedExtensionProtocolOptionsOrThrow(
                    ResourceNames.HTTP_PROTOCOL_OPTIONS).unpack(HttpProtocolOptions.class);
            assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions()).as(cluster.getName()).isTrue();
            var keepalive = options.getExplicitHttpConfig().getHttp2ProtocolOptions().getConnectionKeepalive();
            assertThat(keepalive.getInterval().getSeconds()).isEqualTo(300);
            assertThat(keepalive.getTimeout().getSeconds()).isEqualTo(20);
            assertThat(options.getCommonHttpProtocolOptions().getIdleTimeout().getSeconds()).isEqualTo(3600);
        }
    }

    @Test
    void http1PortsStayHttp1WithAnHourOfIdleTimeoutAndTcpPortsHaveNoProtocolOptions() throws Exception {
        MeshSnapshot mesh = MeshFixture.mesh().service("default/a", "app=a", http(80))
                .service("default/db", "app=db", tcp(5432)).build();
        List<Cluster> clusters = clusters(mesh, PROXYLESS);
        Cluster http1 = clusters.stream().filter(c -> c.getName().contains("|80|")).findFirst().orElseThrow();
        Cluster tcp = clusters.stream().filter(c -> c.getName().contains("|5432|")).findFirst().orElseThrow();

        HttpProtocolOptions options = http1.getTypedExtensionProtocolOptionsOrThrow(ResourceNames.HTTP_PROTOCOL_OPTIONS)
                .unpack(HttpProtocolOptions.class);
        assertThat(options.getExplicitHttpConfig().hasHttpProtocolOptions()).isTrue();
        assertThat(options.getCommonHttpProtocolOptions().getIdleTimeout().getSeconds()).isEqualTo(3600);
        assertThat(tcp.getTypedExtensionProtocolOptionsMap()).isEmpty();
    }

    @Test
    void clusterMetadataNamesServiceNamespacePortAndProtocol() {
        MeshSnapshot mesh = MeshFixture.mesh().service("shop/cart", "app=cart", grpc(7070)).build();

        var fields = clusters(mesh, PROXYLESS).get(0).getMetadata().getFilterMetadataOrThrow("meshwork.io").getFieldsMap();

        assertThat(fields).containsEntry("service", Value.newBuilder().setStringValue("cart").build())
                .containsEntry("namespace", Value.newBuilder().setStringValue("shop").build())
                .containsEntry("port", Value.newBuilder().setNumberValue(7070).build())
                .containsEntry("protocol", Value.newBuilder().setStringValue("grpc").build());
    }

    @Test
    void aMeshedSidecarGetsAStaticLoopbackClusterPerAppPort() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", grpc(9080))
                .workload(workload("default/reviews-1", "app=reviews", "10.0.0.5").meshedPort("grpc", 9080, 19080))
                .build();

        Cluster inbound = cluster(clusters(mesh, ProxyNode.sidecar(ref("default/reviews-1"), "sa")), "inbound|19080||");

        assertThat(inbound.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
        var socket = inbound.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
        assertThat(socket.getAddress()).isEqualTo("127.0.0.1");
        assertThat(socket.getPortValue()).isEqualTo(19080);
        assertThat(inbound.getLoadAssignment().getEndpoints(0).getLoadBalancingWeight().getValue()).isEqualTo(1);
        assertThat(inbound.getTypedExtensionProtocolOptionsMap()).containsKey(ResourceNames.HTTP_PROTOCOL_OPTIONS);
    }

    @Test
    void anUnmeshedWorkloadsSidecarGetsNoInboundCluster() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/reviews-1", "app=reviews", "10.0.0.5").port("http", 9080))
                .build();

        assertThat(clusters(mesh, ProxyNode.sidecar(ref("default/reviews-1"), "sa")))
                .extracting(Cluster::getName).noneMatch(name -> name.startsWith("inbound"));
    }
}
