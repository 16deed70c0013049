package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.port;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointBuilderTest {

    private static ClusterLoadAssignment only(MeshSnapshot mesh) {
        List<ClusterLoadAssignment> assignments = new EndpointBuilder(mesh).build();
        assertThat(assignments).hasSize(1);
        return assignments.get(0);
    }

    @Test
    void endpointsAreGroupedByLocalityEachWithWeightOne() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080).locality("eu", "eu-a"))
                .workload(workload("default/r-2", "app=reviews", "10.0.0.2").port("http", 9080).locality("eu", "eu-b"))
                .workload(workload("default/r-3", "app=reviews", "10.0.0.3").port("http", 9080).locality("eu", "eu-a"))
                .build();

        ClusterLoadAssignment assignment = only(mesh);

        assertThat(assignment.getClusterName()).isEqualTo("outbound|9080||reviews.default.svc.cluster.local");
        assertThat(assignment.getEndpointsList()).extracting(l -> l.getLocality().getZone()).containsExactly("eu-a", "eu-b");
        assertThat(assignment.getEndpointsList()).extracting(l -> l.getLbEndpointsCount()).containsExactly(2, 1);
        assertThat(assignment.getEndpointsList()).extracting(l -> l.getLoadBalancingWeight().getValue()).containsOnly(1);
    }

    @Test
    void anEndpointOfAnotherClusterNamesItsClusterAndOneOfASingleClusterMeshNone() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080))
                .workload(workload("default/r-2@east", "app=reviews", "10.2.0.1").port("http", 9080).cluster("east"))
                .build();

        List<LbEndpoint> endpoints = only(mesh).getEndpoints(0).getLbEndpointsList();

        assertThat(endpoints).extracting(e -> e.getMetadata().getFilterMetadataOrThrow("meshwork.io").getFieldsMap()
                .getOrDefault("cluster", Value.newBuilder().setStringValue("(none)").build()).getStringValue())
                .containsExactly("(none)", "east");
    }

    @Test
    void aClientSeesItsZoneThenItsRegionThenOtherClustersInItsRegionThenTheRestAtContiguousPriorities() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/frontend-0", "app=frontend", "10.0.0.9").port("http", 8080)
                        .locality("eu", "eu-a").cluster("west"))
                .workload(workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080).locality("eu", "eu-a")
                        .cluster("west"))
                .workload(workload("default/r-2", "app=reviews", "10.0.0.2").port("http", 9080).locality("eu", "eu-b")
                        .cluster("west"))
                .workload(workload("default/r-3@east", "app=reviews", "10.2.0.3").port("http", 9080).locality("us", "us-a")
                        .cluster("east"))
                .workload(workload("default/r-4@north", "app=reviews", "10.3.0.4").port("http", 9080).locality("eu", "eu-c")
                        .cluster("north"))
                .build();
        io.meshwork.controlplane.model.Workload client = mesh.workloads().get(
                io.meshwork.controlplane.model.ObjectRef.of("default", "frontend-0"));

        List<ClusterLoadAssignment> assignments = new EndpointBuilder(mesh, client).build();
        ClusterLoadAssignment reviews = assignments.stream().filter(a -> a.getClusterName().contains("reviews"))
                .findFirst().orElseThrow();

        assertThat(reviews.getEndpointsList()).extracting(l -> l.getLocality().getZone() + " P" + l.getPriority())
                // no rank 2 endpoint (west elsewhere): north, in west's region, takes level 2 and east level 3
                .containsExactly("eu-a P0", "eu-b P1", "eu-c P2", "us-a P3");
        assertThat(only(mesh).getEndpointsList()).as("without a client, every locality at priority 0")
                .extracting(LocalityLbEndpoints::getPriority).containsOnly(0);
    }

    @Test
    void endpointsWithoutLocalityStillGetANonZeroWeight() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080))
                .build();

        LocalityLbEndpoints locality = only(mesh).getEndpoints(0);

        assertThat(locality.getLoadBalancingWeight().getValue()).isEqualTo(1);
        assertThat(locality.getLocality().getRegion()).isEmpty();
    }

    @Test
    void aNotReadyEndpointIsUnhealthyAndAReadyOneHealthy() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080))
                .workload(workload("default/r-2", "app=reviews", "10.0.0.2").port("http", 9080).notReady())
                .build();

        assertThat(only(mesh).getEndpoints(0).getLbEndpointsList()).extracting(LbEndpoint::getHealthStatus)
                .containsExactly(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY);
    }

    @Test
    void endpointMetadataDescribesTheWorkload() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .workload(workload("default/r-1", "app=reviews,version=v2", "10.0.0.1")
                        .meshedPort("http", 15080, 9080).serviceAccount("bookinfo-reviews"))
                .build();

        LbEndpoint endpoint = only(mesh).getEndpoints(0).getLbEndpoints(0);

        assertThat(endpoint.getMetadata().getFilterMetadataOrThrow("meshwork.io").getFieldsMap())
                .containsEntry("workload", Value.newBuilder().setStringValue("r-1").build())
                .containsEntry("namespace", Value.newBuilder().setStringValue("default").build())
                .containsEntry("version", Value.newBuilder().setStringValue("v2").build())
                .containsEntry("serviceAccount", Value.newBuilder().setStringValue("bookinfo-reviews").build())
                .containsEntry("meshed", Value.newBuilder().setBoolValue(true).build());
        assertThat(endpoint.getEndpoint().getAddress().getSocketAddress().getPortValue())
                .as("a meshed endpoint is dialed at its sidecar's port").isEqualTo(15080);
    }

    @Test
    void aServiceWithoutEndpointsStillGetsAnEmptyAssignment() {
        MeshSnapshot mesh = MeshFixture.mesh().service("default/reviews", "app=reviews", http(9080)).build();

        assertThat(only(mesh).getEndpointsCount()).isZero();
    }

    @Test
    void eachPortsAssignmentHoldsOnlyThatPortsEndpoints() {
        MeshSnapshot mesh = MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080), port("admin", 9901, Protocol.HTTP))
                .workload(workload("default/r-1", "app=reviews", "10.0.0.1").port("http", 9080).port("admin", 9901))
                .build();

        List<ClusterLoadAssignment> assignments = new EndpointBuilder(mesh).build();

        assertThat(assignments).extracting(a -> a.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
                .getSocketAddress().getPortValue()).containsExactly(9080, 9901);
    }
}
