package io.meshwork.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.meshwork.controlplane.xds.AdsTestClient;
import io.meshwork.controlplane.xds.ContractGroupKeys;
import io.meshwork.controlplane.xds.Eventually;
import io.meshwork.controlplane.xds.HandBuiltGenerator;
import io.meshwork.controlplane.xds.ReviewsMesh;
import io.meshwork.controlplane.xds.RouteTargetValidator;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control plane process as a whole, seen through its admin endpoint. */
class ControlPlaneTest {

    private static final String LDS = Resources.V3.LISTENER_TYPE_URL;
    private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ManualSource source = new ManualSource();
    private ControlPlane controlPlane;
    private AdminEndpoint admin;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        controlPlane = new ControlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), source,
                new ControlPlane.Translation(new HandBuiltGenerator(), new ContractGroupKeys(),
                        new RouteTargetValidator())).start();
        admin = new AdminEndpoint(controlPlane.adminPort());
        channel = NettyChannelBuilder.forAddress("127.0.0.1", controlPlane.xdsPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controlPlane.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return admin.get(path);
    }

    private void pushReviews() {
        source.push(ReviewsMesh.split("1", 7001, 7002, 90, 10));
    }

    @Test
    void readyIs503UntilTheFirstConfigArrives() throws Exception {
        assertThat(get("/ready").statusCode()).isEqualTo(503);

        pushReviews();

        assertThat(get("/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void readyIs503AgainOnceTheXdsServerStopped() throws Exception {
        pushReviews();

        controlPlane.ads().close();

        assertThat(get("/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void readyIs503WhileTheSourceCannotDeliverChanges() throws Exception {
        pushReviews();

        source.healthy(false);
        int whileFailing = get("/ready").statusCode();
        source.healthy(true);

        assertThat(whileFailing).isEqualTo(503);
        assertThat(get("/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void debugProxiesShowsEachProxyWithItsAckedVersionsAndLastNack() throws Exception {
        pushReviews();
        AdsTestClient client = new AdsTestClient(channel,
                AdsTestClient.sidecarNode("productpage-v1-0", "shop", "10.0.0.7"), false, (t, v) -> { });
        client.subscribe(LDS);
        DiscoveryResponse listeners = client.next(LDS);
        client.ack(listeners);
        client.subscribe(CDS);
        DiscoveryResponse clusters = client.next(CDS);
        client.nack(clusters, "", "cluster \"x\": bad\nconfig");
        Eventually.await(WAIT, "NACK recorded",
                () -> controlPlane.ads().proxies().proxies().get(0).lastNack() != null);

        HttpResponse<String> response = get("/debug/proxies");
        List<Struct> proxies = admin.proxies();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(proxies).hasSize(1);
        Struct proxy = proxies.get(0);
        assertThat(proxy.getFieldsOrThrow("id").getStringValue()).isEqualTo("sidecar~productpage-v1-0.shop~10.0.0.7");
        assertThat(proxy.getFieldsOrThrow("group").getStringValue()).isEqualTo("sidecar/shop/productpage-v1-0");
        assertThat(proxy.getFieldsOrThrow("workload").getStringValue()).isEqualTo("productpage-v1-0");
        assertThat(proxy.getFieldsOrThrow("namespace").getStringValue()).isEqualTo("shop");
        assertThat(proxy.getFieldsOrThrow("connectedAt").getStringValue()).isNotEmpty();
        assertThat(proxy.getFieldsOrThrow("acked").getStructValue().getFieldsOrThrow(LDS).getStringValue())
                .isEqualTo(listeners.getVersionInfo());
        Struct nack = proxy.getFieldsOrThrow("lastNack").getStructValue();
        assertThat(nack.getFieldsOrThrow("typeUrl").getStringValue()).isEqualTo(CDS);
        assertThat(nack.getFieldsOrThrow("version").getStringValue()).isEqualTo(clusters.getVersionInfo());
        assertThat(nack.getFieldsOrThrow("message").getStringValue()).isEqualTo("cluster \"x\": bad\nconfig");
    }

    @Test
    void debugProxiesIsAnEmptyListWithoutProxies() throws Exception {
        assertThat(get("/debug/proxies").body().strip()).isEqualTo("[]");
    }

    @Test
    void metricsExposeTheControlPlaneMetersInPrometheusText() throws Exception {
        pushReviews();
        AdsTestClient client = new AdsTestClient(channel, AdsTestClient.proxylessNode("proxyless~m", "default"),
                false, (t, v) -> { });
        client.subscribe(LDS);
        client.nack(client.next(LDS), "", "no");
        source.rejectInput();
        Eventually.await(WAIT, "NACK counted", () -> controlPlane.ads().proxies().proxies().get(0).lastNack() != null);

        String metrics = get("/metrics").body();

        assertThat(metrics).contains("mesh_controlplane_connected_proxies 1")
                .containsPattern("mesh_controlplane_pushes_total [1-9]")
                .contains("mesh_controlplane_nacks_total 1")
                .contains("mesh_controlplane_config_errors_total 1")
                .contains("mesh_controlplane_push_latency_seconds_bucket{le=\"0.1\"}")
                .contains("mesh_controlplane_push_latency_seconds_count 0");
    }

    @Test
    void unknownAdminPathIs404() throws Exception {
        assertThat(get("/ready/now").statusCode()).isEqualTo(404);
    }
}
