package io.meshwork.proxy.http;

import static io.meshwork.proxy.testing.MeshResources.clusterName;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.SidecarHarness;
import io.meshwork.proxy.testing.SteadyLoad;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestControlPlane;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Config changes and control-plane outages under steady load: no request may fail. */
class HotReloadTest {

    private TestControlPlane controlPlane;
    private TestBackend v1;
    private TestBackend v2;
    private TestBackend v1b;
    private SidecarHarness harness;

    @BeforeEach
    void start() throws Exception {
        controlPlane = new TestControlPlane().start();
        v1 = new TestBackend("reviews-v1");
        v1b = new TestBackend("reviews-v1b");
        v2 = new TestBackend("reviews-v2");
        controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh(100, 0, true).snapshot("1"));
        harness = new SidecarHarness(controlPlane);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        v1.close();
        v1b.close();
        v2.close();
        controlPlane.close();
    }

    private MeshResources mesh(int weightV1, int weightV2, boolean withV1b) {
        List<Backend> v1Backends = withV1b
                ? List.of(Backend.of(v1.port(), "reviews-v1", "v1"), Backend.of(v1b.port(), "reviews-v1b", "v1"))
                : List.of(Backend.of(v1.port(), "reviews-v1", "v1"));
        return new MeshResources("default")
                .service("reviews-v1", 9080, "http", v1Backends)
                .service("reviews-v2", 9080, "http", List.of(Backend.of(v2.port(), "reviews-v2", "v2")))
                .service("reviews", 9080, "http", List.of())
                .virtualHost("reviews", 9080, List.of(MeshResources.weightedRoute(MeshResources.prefix("/"),
                        Map.of(clusterName("reviews-v1", "default", 9080), weightV1,
                                clusterName("reviews-v2", "default", 9080), weightV2))));
    }

    @Test
    void aWeightChangeUnderLoadFailsNoRequest() throws Exception {
        try (SteadyLoad load = new SteadyLoad(harness.client, "http://reviews:9080/", 4)) {
            load.awaitMore(300);
            controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh(0, 100, true).snapshot("2"));
            Eventually.await(Duration.ofSeconds(10), "traffic on v2", () -> load.answeredBy("reviews-v2") > 0);
            int v1Before = load.answeredBy("reviews-v1") + load.answeredBy("reviews-v1b");
            load.awaitMore(300);
            assertThat(load.answeredBy("reviews-v1") + load.answeredBy("reviews-v1b")).isEqualTo(v1Before);
            load.close();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    void anEndpointRemovalUnderLoadFailsNoRequestEvenWhenTheEndpointThenStops() throws Exception {
        try (SteadyLoad load = new SteadyLoad(harness.client, "http://reviews:9080/", 4)) {
            load.awaitMore(300);
            assertThat(load.answeredBy("reviews-v1b")).isPositive();
            controlPlane.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh(100, 0, false).snapshot("2"));
            String cluster = clusterName("reviews-v1", "default", 9080);
            Eventually.await(Duration.ofSeconds(10), "the endpoint removal applied",
                    () -> harness.sidecar.configStore().current().clusters().get(cluster).endpoints().size() == 1);
            load.awaitMore(100);
            v1b.close();
            assertThat(load.noneOfTheNextAnsweredBy("reviews-v1b", 300)).isTrue();
            load.close();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    void theControlPlaneStoppedAndRestartedUnderLoadFailsNoRequest() throws Exception {
        try (SteadyLoad load = new SteadyLoad(harness.client, "http://reviews:9080/", 4)) {
            load.awaitMore(200);
            int port = controlPlane.port();
            controlPlane.stop();
            Eventually.await(Duration.ofSeconds(10), "the sidecar to notice",
                    () -> !harness.sidecar.configStore().controlPlaneConnected());
            load.awaitMore(300);
            try (TestControlPlane restarted = new TestControlPlane().startOn(port)) {
                restarted.setSnapshot(SidecarHarness.WORKLOAD, SidecarHarness.NAMESPACE, mesh(50, 50, true).snapshot("2"));
                Eventually.await(Duration.ofSeconds(20), "traffic on v2 from the restarted control plane",
                        () -> load.answeredBy("reviews-v2") > 0);
                load.awaitMore(200);
                assertThat(harness.sidecar.configStore().controlPlaneConnected()).isTrue();
            }
            load.close();
            assertThat(load.failures()).isEmpty();
        }
    }
}
