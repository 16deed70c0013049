package io.meshwork.controlplane.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.SidecarScope;
import io.meshwork.controlplane.translate.ProxyResources;
import io.meshwork.controlplane.translate.Translator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A Sidecar resource scopes what a sidecar gets to what its workload reaches: in a mesh of 20,000
 * services, the sidecar of a workload that calls 10 of them (two of those split over two backends
 * each) gets 14 outbound clusters, a response of a few kilobytes, where the whole mesh is megabytes.
 */
class SidecarScopeSizeTest {

    private static final List<String> TEN_HOSTS = List.of("./svc-10", "*/svc-150", "*/svc-1999", "ns-50/svc-5003",
            "ns-100/svc-10004", "./svc-5", "./svc-6", "./svc-7", "ns-199/svc-19998", "*/svc-333.ns-3.svc.cluster.local");

    private static MeshSnapshot withSidecar(MeshSnapshot mesh, SidecarScope sidecar) {
        TreeMap<ObjectRef, SidecarScope> sidecars = new TreeMap<>(Map.of(sidecar.ref(), sidecar));
        return new MeshSnapshot(mesh.version(), mesh.services(), mesh.workloads(), mesh.endpoints(), mesh.splits(),
                mesh.routeGroups(), sidecars);
    }

    private static long bytes(ProxyResources r) {
        return Stream.of(r.clusters(), r.endpoints(), r.listeners(), r.routes())
                .flatMap(List::stream).mapToLong(m -> ((Message) m).getSerializedSize()).sum();
    }

    @Test
    void aSidecarThatDependsOnTenServicesOfTwentyThousandGetsOnlyThose() {
        MeshSnapshot mesh = withSidecar(LargeMesh.of(20_000, 1), new SidecarScope(ObjectRef.of("ns-0", "productpage"),
                Map.of("app", "svc-0"), TEN_HOSTS));

        ProxyResources scoped = Translator.translate(mesh, LargeMesh.sidecarOf(0));
        ProxyResources whole = Translator.translate(mesh, LargeMesh.sidecarOf(1));

        assertThat(scoped.clusters()).extracting(Cluster::getName).filteredOn(n -> n.startsWith("outbound|"))
                .containsExactlyInAnyOrder(Stream.of(10, 11, 12, 150, 151, 152, 1999, 5003, 10004, 5, 6, 7, 19998, 333)
                        .map(i -> "outbound|8080||svc-" + i + ".ns-" + i / 100 + ".svc.cluster.local").toArray(String[]::new));
        assertThat(scoped.endpoints()).hasSize(14);
        assertThat(scoped.listeners()).extracting(l -> l.getName()).contains("outbound", "inbound");
        long scopedBytes = bytes(scoped);
        long wholeBytes = bytes(whole);
        System.out.printf("20,000 services: scoped sidecar %,d bytes (%d clusters), unscoped %,d bytes (%d clusters)%n",
                scopedBytes, scoped.clusters().size(), wholeBytes, whole.clusters().size());
        assertThat(scopedBytes).isLessThan(32 * 1024);
        assertThat(wholeBytes).isGreaterThan(4L << 20);
    }

    @Test
    void aNamespaceDefaultScopesEveryWorkloadOfItsNamespaceThatNoSelectorPicks() {
        MeshSnapshot mesh = withSidecar(LargeMesh.of(300, 1), new SidecarScope(ObjectRef.of("ns-1", "default"),
                Map.of(), List.of("./svc-150")));

        assertThat(Translator.translate(mesh, LargeMesh.sidecarOf(120)).clusters()).extracting(Cluster::getName)
                .filteredOn(n -> n.startsWith("outbound|")).hasSize(3);
        assertThat(Translator.translate(mesh, LargeMesh.sidecarOf(20)).clusters()).extracting(Cluster::getName)
                .filteredOn(n -> n.startsWith("outbound|")).hasSize(300);
    }
}
