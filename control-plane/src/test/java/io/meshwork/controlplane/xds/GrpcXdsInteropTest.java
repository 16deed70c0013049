package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.TrafficSplit;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * grpc-java's own xDS client (grpc-xds, an independent implementation of the protocol) against
 * {@link AdsServer}: a channel to {@code xds:///reviews.default.svc.cluster.local:9080} follows the
 * TrafficSplit between two real backends. grpc-xds reads its bootstrap once per JVM, so this is
 * the only test class that sets it.
 */
class GrpcXdsInteropTest {

    private static final String TARGET = "xds:///reviews.default.svc.cluster.local:" + ReviewsMesh.PORT;
    private static final String RDS = Resources.V3.ROUTE_TYPE_URL;

    private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private static final HandBuiltGenerator generator = new HandBuiltGenerator();
    private static NamedBackend v1;
    private static NamedBackend v2;
    private static AdsServer server;
    private static ManagedChannel channel;
    private static int version;

    @BeforeAll
    static void start() throws Exception {
        v1 = new NamedBackend("reviews-v1");
        v2 = new NamedBackend("reviews-v2");
        server = new AdsServer(new InetSocketAddress("127.0.0.1", 0), generator, new ContractGroupKeys(),
                new RouteTargetValidator(), meters).start();
        server.accept(split(90, 10));
        XdsBootstrap.proxylessClient(server.port(), "proxyless~reviews-client", ReviewsMesh.NAMESPACE);
        channel = Grpc.newChannelBuilder(TARGET, InsecureChannelCredentials.create()).build();
        // The first call resolves through xDS (LDS, RDS, CDS, EDS), which takes a few seconds.
        NamedBackend.call(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
        v1.close();
        v2.close();
    }

    @AfterEach
    void clientNeverNacked() {
        assertThat(server.proxies().proxies()).isNotEmpty().allSatisfy(p -> assertThat(p.lastNack()).isNull());
        assertThat(meters.get("mesh.controlplane.nacks").counter().count()).isZero();
    }

    private static MeshSnapshot split(long w1, long w2) {
        return ReviewsMesh.split(Integer.toString(++version), v1.port(), v2.port(), w1, w2);
    }

    /** Pushes {@code mesh} and waits until the client has ACKed its routes. */
    private static void serve(MeshSnapshot mesh) throws InterruptedException {
        String routes = generator.generate(mesh, "proxyless/default", null).versions().routes();
        server.accept(mesh);
        Eventually.await(Duration.ofSeconds(10), "client ACKs route version " + routes,
                () -> server.proxies().proxies().stream().anyMatch(p -> routes.equals(p.acked().get(RDS))));
    }

    private static int callsTo(String backend, int calls) {
        return NamedBackend.callsTo(channel, backend, calls);
    }

    @Test
    void split90To10SendsAbout90PercentOfCallsToV1() throws Exception {
        serve(split(90, 10));

        int toV1 = callsTo("reviews-v1", 2000);

        assertThat(toV1 / 2000.0).isBetween(0.87, 0.93);
    }

    @Test
    void rewritingTheSplitTo0To100MovesEveryCallToV2Within2Seconds() throws Exception {
        serve(split(90, 10));

        server.accept(split(0, 100));
        OptionalLong streak = NamedBackend.awaitStreak(channel, "reviews-v2", 50, Duration.ofSeconds(2));

        assertThat(streak).as("50 calls in a row to v2 within 2 s of the push").isPresent();
        assertThat(callsTo("reviews-v2", 200)).isEqualTo(200);
    }

    @Test
    void invalidSnapshotIsNeverSentAndTheClientKeepsItsRouting() throws Exception {
        serve(split(0, 100));
        String goodRoutes = server.proxies().proxies().get(0).acked().get(RDS);
        double errors = meters.get("mesh.controlplane.config.errors").counter().count();

        // reviews-v3 is no Service: the route would name a cluster that does not exist.
        server.accept(ReviewsMesh.split(Integer.toString(++version), v1.port(), v2.port(), List.of(
                new TrafficSplit.Backend("reviews-v1", 50), new TrafficSplit.Backend("reviews-v3", 50))));

        assertThat(callsTo("reviews-v2", 200)).isEqualTo(200);
        assertThat(server.proxies().proxies().get(0).acked().get(RDS)).isEqualTo(goodRoutes);
        assertThat(meters.get("mesh.controlplane.config.errors").counter().count()).isEqualTo(errors + 1);
    }
}
