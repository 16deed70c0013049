package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import io.meshwork.proxy.testing.TestControlPlane;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A sidecar of a whole mesh of 20,000 services, unscoped: its route configuration is larger than
 * grpc's default 4 MiB inbound limit (with which the client logged RESOURCE_EXHAUSTED and reconnected
 * forever), and it still gets a complete config.
 */
class LargeConfigTest {

    private static final int SERVICES = 20_000;
    private final TestControlPlane controlPlane = new TestControlPlane();
    private NioEventLoopGroup group;
    private AdsClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        controlPlane.close();
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void aConfigPastFourMebibytesIsAccepted() throws Exception {
        MeshResources mesh = new MeshResources("default");
        for (int i = 0; i < SERVICES; i++) {
            String name = "service-with-a-long-name-" + i;
            mesh.service(name, 9080, "http", List.of(Backend.of(10_000 + i % 50_000, name + "-v1", "v1")))
                    .virtualHost(name, 9080, List.of());
        }
        mesh.inbound("127.0.0.1", 9080, 8080, true, false);
        int routeBytes = mesh.outboundRoutes().getSerializedSize();
        assertThat(routeBytes).as("the route configuration alone is past grpc's default limit").isGreaterThan(4 << 20);
        controlPlane.start();
        controlPlane.setSnapshot("productpage", "default", mesh.snapshot("1"));
        group = new NioEventLoopGroup(1);
        ConfigStore store = new ConfigStore();
        client = new AdsClient(controlPlane.target(), new NodeIdentity("productpage", "default", "bookinfo", "big-1"), store,
                group, NioSocketChannel.class);

        client.start();

        Eventually.await(Duration.ofSeconds(60), "a complete config of " + routeBytes + " route bytes", store::hasCompleteConfig);
        assertThat(store.current().clusters()).hasSizeGreaterThan(SERVICES);
    }
}
