package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceConverterTest {

    private final MeshResources mesh = new MeshResources("default")
            .service("reviews", 9080, "grpc", List.of(Backend.of(9101, "reviews-v1", "v1")))
            .virtualHost("reviews", 9080, List.of());

    @Test
    void aRouteWithoutTimeoutHasNoneAsInIstio() throws Exception {
        RouteTable table = ResourceConverter.routeTable(mesh.outboundRoutes());
        assertThat(table.virtualHosts().get(0).routes().get(0).timeout()).isEqualTo(Duration.ZERO);
    }

    @Test
    void aGrpcPortClusterSpeaksHttp2UpstreamAndCarriesItsServiceName() throws Exception {
        var cluster = ResourceConverter.cluster(mesh.clusters().values().iterator().next());
        assertThat(cluster.http2()).isTrue();
        assertThat(cluster.service()).isEqualTo("reviews");
        assertThat(cluster.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void anEndpointWithoutPortIsRejectedNamingTheAssignmentAndField() {
        var assignment = mesh.assignments().values().iterator().next();
        var broken = assignment.toBuilder().setEndpoints(0, assignment.getEndpoints(0).toBuilder().setLbEndpoints(0,
                assignment.getEndpoints(0).getLbEndpoints(0).toBuilder().setEndpoint(assignment.getEndpoints(0)
                        .getLbEndpoints(0).getEndpoint().toBuilder().setAddress(
                                io.envoyproxy.envoy.config.core.v3.Address.newBuilder().setSocketAddress(
                                        SocketAddress.newBuilder().setAddress("127.0.0.1")))))).build();

        assertThatThrownBy(() -> ResourceConverter.endpoints(broken)).hasMessage(
                "ClusterLoadAssignment \"outbound|9080||reviews.default.svc.cluster.local\": field endpoints[0]"
                        + ".lb_endpoints[0].endpoint.address.socket_address.port_value 0 is not a port");
    }
}
