package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.backend;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Per-type versions: the same input gives the same version, a change moves only its own type's. */
class TranslatorTest {

    private static final ProxyNode FRONTEND = ProxyNode.sidecar(ref("default/frontend-1"), "frontend");

    private static MeshFixture mesh(long v1Weight, boolean v2Ready) {
        MeshFixture.WorkloadSpec v2 = workload("default/reviews-v2-1", "app=reviews,version=v2", "10.0.2.1").port("http", 9080);
        return MeshFixture.mesh()
                .service("default/reviews", "app=reviews", http(9080))
                .service("default/reviews-v1", "app=reviews,version=v1", http(9080))
                .service("default/reviews-v2", "app=reviews,version=v2", http(9080))
                .workload(workload("default/reviews-v1-1", "app=reviews,version=v1", "10.0.1.1").port("http", 9080))
                .workload(v2Ready ? v2 : v2.notReady())
                .split("default/reviews-split", "reviews", backend("reviews-v1", v1Weight), backend("reviews-v2", 10));
    }

    @Test
    void translatingTheSameMeshTwiceGivesTheSameVersions() {
        ProxyResources first = Translator.translate(mesh(90, true).build(), FRONTEND);
        ProxyResources second = Translator.translate(mesh(90, true).build(), FRONTEND);

        assertThat(second).isEqualTo(first);
    }

    @Test
    void changingSplitWeightsMovesOnlyTheRoutesVersion() {
        ProxyResources before = Translator.translate(mesh(90, true).build(), FRONTEND);
        ProxyResources after = Translator.translate(mesh(0, true).build(), FRONTEND);

        assertThat(after.routesVersion()).isNotEqualTo(before.routesVersion());
        assertThat(after.clustersVersion()).isEqualTo(before.clustersVersion());
        assertThat(after.endpointsVersion()).isEqualTo(before.endpointsVersion());
        assertThat(after.listenersVersion()).isEqualTo(before.listenersVersion());
    }

    @Test
    void anEndpointTurningUnreadyMovesOnlyTheEndpointsVersion() {
        ProxyResources before = Translator.translate(mesh(90, true).build(), FRONTEND);
        ProxyResources after = Translator.translate(mesh(90, false).build(), FRONTEND);

        assertThat(after.endpointsVersion()).isNotEqualTo(before.endpointsVersion());
        assertThat(after.routesVersion()).isEqualTo(before.routesVersion());
        assertThat(after.clustersVersion()).isEqualTo(before.clustersVersion());
    }

    @Test
    void aSidecarWhoseWorkloadIsNotDeclaredGetsTheSameOutboundConfigAsOneWithAnUnmeshedWorkload() {
        ProxyResources undeclared = Translator.translate(mesh(90, true).build(), FRONTEND);
        ProxyResources declared = Translator.translate(
                mesh(90, true).workload(workload("default/frontend-1", "app=frontend", "10.0.0.1").port("http", 8080)).build(),
                FRONTEND);

        assertThat(undeclared.listeners()).isEqualTo(declared.listeners());
        assertThat(undeclared.routes()).isEqualTo(declared.routes());
    }
}
