package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdsServerTest {

    private static final String LDS = Resources.V3.LISTENER_TYPE_URL;
    private static final String RDS = Resources.V3.ROUTE_TYPE_URL;
    private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private AdsServer server;
    private ManagedChannel channel;

    private AdsServer start(ResourceGenerator generator, GroupValidator validator) throws Exception {
        server = new AdsServer(new InetSocketAddress("127.0.0.1", 0), generator, new ContractGroupKeys(), validator,
                meters).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        return server;
    }

    private AdsServer start() throws Exception {
        return start(new HandBuiltGenerator(), new RouteTargetValidator());
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    private AdsTestClient client(String id) {
        return new AdsTestClient(channel, AdsTestClient.proxylessNode(id, "default"), false, (t, v) -> { });
    }

    /** A proxyless client connected to a server serving the 90/10 mesh, with its first response of {@code typeUrl}. */
    private Connected connect(String id, String typeUrl) throws Exception {
        start().accept(mesh("1", 90, 10));
        AdsTestClient client = client(id);
        client.subscribe(typeUrl);
        return new Connected(client, client.next(typeUrl));
    }

    private record Connected(AdsTestClient client, DiscoveryResponse first) {
    }

    private static MeshSnapshot mesh(String version, long w1, long w2) {
        return ReviewsMesh.split(version, 7001, 7002, w1, w2);
    }

    private double count(String meter) {
        return meters.get(meter).counter().count();
    }

    @Test
    void proxyThatConnectsAfterTheFirstConfigGetsItsGroupOnTheFirstRequest() throws Exception {
        start().accept(mesh("1", 90, 10));
        AdsTestClient client = client("proxyless~a");

        client.subscribe(LDS);
        DiscoveryResponse response = client.next(LDS);

        assertThat(response.getResourcesList()).extracting(any -> any.unpack(Listener.class).getName())
                .containsExactlyInAnyOrder("reviews.default.svc.cluster.local:9080",
                        "reviews-v1.default.svc.cluster.local:9080", "reviews-v2.default.svc.cluster.local:9080");
    }

    @Test
    void proxyThatConnectsBeforeAnyConfigGetsTheFirstOne() throws Exception {
        start();
        AdsTestClient client = client("proxyless~early");
        client.subscribe(LDS);
        Eventually.await(WAIT, "the proxy is registered", () -> server.proxies().connectedCount() == 1);

        server.accept(mesh("1", 90, 10));

        assertThat(client.next(LDS).getResourcesCount()).isEqualTo(3);
    }

    @Test
    void ackRecordsTheVersionPerType() throws Exception {
        Connected connected = connect("proxyless~acker", LDS);
        AdsTestClient client = connected.client();
        DiscoveryResponse response = connected.first();

        client.ack(response);

        Eventually.await(WAIT, "LDS ACK recorded", () -> response.getVersionInfo()
                .equals(server.proxies().proxies().get(0).acked().get(LDS)));
        ProxyStatus status = server.proxies().proxies().get(0);
        assertThat(status.id()).isEqualTo("proxyless~acker");
        assertThat(status.group()).isEqualTo("proxyless/default");
        assertThat(status.lastNack()).isNull();
    }

    @Test
    void aProxyReconnectingWithTheCurrentVersionIsSyncedThoughNothingIsSent() throws Exception {
        // As after a control plane restart: the sidecar's first request on the new stream names what it holds.
        Connected connected = connect("proxyless~returning", LDS);
        String held = connected.first().getVersionInfo();
        connected.client().close();
        Eventually.await(WAIT, "first stream gone", () -> server.proxies().proxies().isEmpty());
        AdsTestClient again = client("proxyless~returning");

        again.send(io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder().setTypeUrl(LDS).setVersionInfo(held));

        Eventually.await(WAIT, "the held version recorded", () -> !server.proxies().proxies().isEmpty()
                && held.equals(server.proxies().proxies().get(0).acked().get(LDS)));
        ProxyStatus status = server.proxies().proxies().get(0);
        assertThat(status.sent()).containsEntry(LDS, held);
        assertThat(again.pending()).as("nothing re-sent: the proxy has it").isEmpty();
    }

    @Test
    void nackIsRecordedWithTypeRejectedVersionAndErrorDetail() throws Exception {
        Connected connected = connect("proxyless~grumpy", LDS);
        AdsTestClient client = connected.client();
        DiscoveryResponse response = connected.first();

        client.nack(response, "", "Listener reviews: missing HttpFilter");

        Eventually.await(WAIT, "NACK recorded", () -> server.proxies().proxies().get(0).lastNack() != null);
        ProxyStatus.Nack nack = server.proxies().proxies().get(0).lastNack();
        assertThat(nack.typeUrl()).isEqualTo(LDS);
        assertThat(nack.version()).isEqualTo(response.getVersionInfo());
        assertThat(nack.nonce()).isEqualTo(response.getNonce());
        assertThat(nack.message()).isEqualTo("Listener reviews: missing HttpFilter");
        assertThat(server.proxies().proxies().get(0).acked()).doesNotContainKey(LDS);
        assertThat(count("mesh.controlplane.nacks")).isEqualTo(1);
    }

    @Test
    void repeatedNackOfTheSameResponseCountsOnce() throws Exception {
        Connected connected = connect("proxyless~repeats", LDS);
        AdsTestClient client = connected.client();
        DiscoveryResponse response = connected.first();
        client.nack(response, "", "bad");
        client.nack(response, "", "bad");
        client.subscribe(CDS);
        // The CDS response comes after the library has processed both NACKs on this stream.
        client.next(CDS);

        assertThat(count("mesh.controlplane.nacks")).isEqualTo(1);
    }

    @Test
    void aNackedVersionIsNotSentAgainOnThatStream() throws Exception {
        Connected connected = connect("proxyless~rejects", RDS);
        AdsTestClient client = connected.client();
        double pushes = count("mesh.controlplane.pushes");

        client.nack(connected.first(), "", "RouteConfiguration reviews: bad weights");
        // Requests on a stream are handled in order: the CDS answer comes after any answer to the NACK.
        client.subscribe(CDS);

        assertThat(client.next().getTypeUrl()).isEqualTo(CDS);
        assertThat(count("mesh.controlplane.pushes")).isEqualTo(pushes + 1);
    }

    @Test
    void afterANackTheNextVersionIsSent() throws Exception {
        Connected connected = connect("proxyless~recovers", RDS);
        AdsTestClient client = connected.client();
        client.nack(connected.first(), "", "RouteConfiguration reviews: bad weights");

        server.accept(mesh("2", 50, 50));

        DiscoveryResponse next = client.next(RDS);
        assertThat(next.getVersionInfo()).isNotEqualTo(connected.first().getVersionInfo());
        assertThat(next.getResourcesCount()).isEqualTo(connected.first().getResourcesCount());
    }

    @Test
    void resourceSubscribedAgainAfterAnUnsubscribeIsSentAgain() throws Exception {
        // grpc-java does this when a route drops a cluster and a later route brings it back.
        start().accept(mesh("1", 90, 10));
        AdsTestClient client = client("proxyless~fickle");
        String v1 = HandBuiltGenerator.clusterName(ReviewsMesh.ref("reviews-v1"), ReviewsMesh.PORT);
        String v2 = HandBuiltGenerator.clusterName(ReviewsMesh.ref("reviews-v2"), ReviewsMesh.PORT);
        client.request(CDS, List.of(v1, v2), DiscoveryResponse.getDefaultInstance());
        DiscoveryResponse both = client.next(CDS);
        client.request(CDS, List.of(v1, v2), both);
        client.request(CDS, List.of(v2), both);

        client.request(CDS, List.of(v1, v2), both);

        assertThat(client.next(CDS).getResourcesList()).extracting(any -> any.unpack(Cluster.class).getName())
                .containsExactlyInAnyOrder(v1, v2);
    }

    @Test
    void requestsThatOmitTheNodeAreServedFromTheGroupTheStreamStartedIn() throws Exception {
        // The node comes on the first request only (Envoy's set_node_on_first_message_only).
        start().accept(mesh("1", 90, 10));
        AdsTestClient client = new AdsTestClient(channel, AdsTestClient.sidecarNode("ratings-v1-0", "shop", "a"),
                false, (t, v) -> { });
        client.subscribe(LDS);
        client.ack(client.next(LDS));

        client.subscribe(CDS);

        assertThat(client.next(CDS).getResourcesCount()).isEqualTo(3);
    }

    @Test
    void closedStreamRemovesTheProxy() throws Exception {
        Connected connected = connect("proxyless~leaver", LDS);
        AdsTestClient client = connected.client();
        assertThat(server.proxies().connectedCount()).isEqualTo(1);

        client.close();

        Eventually.await(WAIT, "proxy removed after stream close", () -> server.proxies().connectedCount() == 0);
    }

    @Test
    void programmingCountsTheProxiesThatAckedWhatWasSentAndSaysWhyAGroupIsRefused() throws Exception {
        Connected connected = connect("proxyless~gw", LDS);
        AdsTestClient client = connected.client();
        client.subscribe(RDS);
        DiscoveryResponse routes = client.next(RDS);
        String group = server.proxies().proxies().get(0).group();
        List<String> changed = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.onGroupChange(changed::add);
        assertThat(server.programming(group)).isEqualTo(new AdsServer.GroupProgramming(1, 0, null));

        client.ack(connected.first());
        client.ack(routes);
        Eventually.await(Duration.ofSeconds(5), "both types ACKed", () -> server.programming(group).acked() == 1);
        assertThat(changed).contains(group);
        assertThat(server.programming("proxyless/elsewhere")).isEqualTo(new AdsServer.GroupProgramming(0, 0, null));

        server.accept(mesh("2", 50, 50));
        DiscoveryResponse next = client.next(RDS);
        assertThat(server.programming(group).acked()).as("version 2 sent, not yet ACKed").isZero();
        changed.clear();
        client.nack(next, routes.getVersionInfo(), "route reviews: no such cluster");
        Eventually.await(Duration.ofSeconds(5), "the NACK told", () -> changed.contains(group));
        assertThat(server.programming(group).refused()).isEqualTo("proxy proxyless~gw refused version "
                + next.getVersionInfo() + ": route reviews: no such cluster");

        changed.clear();
        server.accept(ReviewsMesh.split("3", 7001, 7002, List.of(
                new io.meshwork.controlplane.model.TrafficSplit.Backend("reviews-v3", 1))));
        assertThat(server.programming(group).refused()).startsWith("the control plane refused its config: ");
        assertThat(changed).as("the refusal is a change of the group").containsExactly(group);
    }

    @Test
    void groupThatFailsValidationKeepsItsLastGoodConfigAndCountsOneError() throws Exception {
        Connected connected = connect("proxyless~kept", RDS);
        AdsTestClient client = connected.client();
        DiscoveryResponse good = connected.first();
        client.ack(good);

        MeshSnapshot broken = ReviewsMesh.split("2", 7001, 7002, List.of(
                new io.meshwork.controlplane.model.TrafficSplit.Backend("reviews-v1", 50),
                new io.meshwork.controlplane.model.TrafficSplit.Backend("reviews-v3", 50)));
        server.accept(broken);
        server.accept(broken);
        server.accept(mesh("3", 10, 90));

        // The next RDS response is the valid one after the broken config: the broken one was never sent.
        DiscoveryResponse next = client.next(RDS);
        assertThat(next.getVersionInfo()).isNotEqualTo(good.getVersionInfo())
                .isEqualTo(new HandBuiltGenerator().generate(mesh("3", 10, 90), "", null).versions().routes());
        assertThat(count("mesh.controlplane.config.errors")).isEqualTo(1);
    }

    @Test
    void problemsThatManyGroupsShareCountAsOneConfigError() throws Exception {
        Connected connected = connect("proxyless~one", RDS);
        AdsTestClient sidecar = new AdsTestClient(channel, AdsTestClient.sidecarNode("ratings-v1-0", "shop", "a"),
                false, (t, v) -> { });
        sidecar.subscribe(RDS);
        sidecar.next(RDS);
        assertThat(server.proxies().proxies()).extracting(ProxyStatus::group).doesNotHaveDuplicates().hasSize(2);

        server.accept(ReviewsMesh.split("2", 7001, 7002, List.of(
                new io.meshwork.controlplane.model.TrafficSplit.Backend("reviews-v3", 1))));

        assertThat(count("mesh.controlplane.config.errors")).isEqualTo(1);
        assertThat(connected.client().pending()).isEmpty();
    }

    @Test
    void proxyJoiningWhileTheConfigIsRejectedGetsTheLastGoodOne() throws Exception {
        Connected connected = connect("proxyless~old", RDS);
        server.accept(ReviewsMesh.split("2", 7001, 7002, List.of(
                new io.meshwork.controlplane.model.TrafficSplit.Backend("reviews-v3", 1))));

        AdsTestClient newcomer = new AdsTestClient(channel, AdsTestClient.sidecarNode("ratings-v1-0", "shop", "a"),
                false, (t, v) -> { });
        newcomer.subscribe(RDS);

        assertThat(newcomer.next(RDS).getVersionInfo()).isEqualTo(connected.first().getVersionInfo());
        assertThat(count("mesh.controlplane.config.errors")).isEqualTo(2);
    }

    @Test
    void snapshotWithDanglingReferenceIsNeverSent() throws Exception {
        // A listener whose RDS route config is missing: the reference guard catches it.
        HandBuiltGenerator valid = new HandBuiltGenerator();
        ResourceGenerator dropsRoutes = (snapshot, group, node) -> {
            GroupResources r = valid.generate(snapshot, group, node);
            return "2".equals(snapshot.version())
                    ? GroupResources.hashed(r.clusters(), r.endpoints(), r.listeners(), List.of()) : r;
        };
        start(dropsRoutes, GroupValidator.NONE).accept(mesh("1", 90, 10));
        AdsTestClient client = client("proxyless~guarded");
        client.subscribe(RDS);
        DiscoveryResponse first = client.next(RDS);
        client.ack(first);

        server.accept(mesh("2", 10, 90));
        server.accept(mesh("3", 20, 80));

        DiscoveryResponse next = client.next(RDS);
        assertThat(next.getVersionInfo()).isEqualTo(valid.generate(mesh("3", 20, 80), "", null).versions().routes());
        assertThat(next.getResourcesCount()).isEqualTo(3);
        assertThat(count("mesh.controlplane.config.errors")).isEqualTo(1);
    }

    @Test
    void unchangedVersionsAreNotPushedAgain() throws Exception {
        Connected connected = connect("proxyless~quiet", LDS);
        AdsTestClient client = connected.client();
        client.ack(connected.first());
        double pushes = count("mesh.controlplane.pushes");

        server.accept(mesh("2", 90, 10));

        assertThat(count("mesh.controlplane.pushes")).isEqualTo(pushes);
    }

    @Test
    void ackOfAChangedVersionRecordsPushLatency() throws Exception {
        Connected connected = connect("proxyless~timed", RDS);
        AdsTestClient client = connected.client();
        client.ack(connected.first());

        server.accept(mesh("2", 50, 50));
        client.ack(client.next(RDS));

        Eventually.await(WAIT, "push latency recorded",
                () -> meters.get("mesh.controlplane.push.latency").timer().count() == 1);
    }

    @Test
    void deltaAdsStreamIsServedAndItsAckTracked() throws Exception {
        start().accept(mesh("1", 90, 10));
        BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
        StreamObserver<DeltaDiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
                .deltaAggregatedResources(new StreamObserver<>() {
                    @Override
                    public void onNext(DeltaDiscoveryResponse value) {
                        responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(DeltaDiscoveryRequest.newBuilder()
                .setNode(AdsTestClient.proxylessNode("proxyless~delta", "default")).setTypeUrl(CDS).build());
        DeltaDiscoveryResponse response = responses.poll(5, TimeUnit.SECONDS);
        assertThat(response).isNotNull();
        assertThat(response.getResourcesCount()).isEqualTo(3);

        requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(CDS).setResponseNonce(response.getNonce()).build());

        Eventually.await(WAIT, "delta ACK recorded",
                () -> response.getSystemVersionInfo().equals(server.proxies().proxies().get(0).acked().get(CDS)));
        assertThat(server.proxies().proxies().get(0).delta()).isTrue();
        requests.onCompleted();
    }

    @Test
    void everyOneOfManyGroupsGetsTheNewVersion() throws Exception {
        start().accept(mesh("1", 90, 10));
        List<AdsTestClient> clients = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            AdsTestClient client = new AdsTestClient(channel, AdsTestClient.sidecarNode("app-" + i, "default", "1"), false,
                    (t, v) -> { });
            client.subscribe(RDS);
            client.ack(client.next(RDS));
            clients.add(client);
        }

        server.accept(mesh("2", 10, 90));

        String expected = new HandBuiltGenerator().generate(mesh("2", 10, 90), "", null).versions().routes();
        for (AdsTestClient client : clients) {
            assertThat(client.next(RDS).getVersionInfo()).isEqualTo(expected);
            client.close();
        }
    }
}
