package io.meshwork.controlplane.translate;

import static io.meshwork.controlplane.translate.MeshFixture.backend;
import static io.meshwork.controlplane.translate.MeshFixture.headerMatch;
import static io.meshwork.controlplane.translate.MeshFixture.http;
import static io.meshwork.controlplane.translate.MeshFixture.ref;
import static io.meshwork.controlplane.translate.MeshFixture.tcp;
import static io.meshwork.controlplane.translate.MeshFixture.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.translate.RequestSimulator.Outcome;
import io.meshwork.controlplane.translate.RequestSimulator.Request;
import io.meshwork.controlplane.translate.RequestSimulator.Result;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Where requests land, walked through the translated config (Istio's simulation tests). */
class TrafficSplitSimulationTest {

    private static final String REVIEWS_V1 = "outbound|9080||reviews-v1.default.svc.cluster.local";
    private static final String REVIEWS_V2 = "outbound|9080||reviews-v2.default.svc.cluster.local";

    private static final MeshSnapshot MESH = MeshFixture.mesh()
            .service("default/frontend", "app=frontend", http(8080))
            .service("default/reviews", "app=reviews", http(9080))
            .service("default/reviews-v1", "app=reviews,version=v1", http(9080))
            .service("default/reviews-v2", "app=reviews,version=v2", http(9080))
            .service("default/db", "app=db", tcp(5432))
            .workload(workload("default/frontend-1", "app=frontend", "10.0.0.1").meshedPort("http", 8080, 18080))
            .workload(workload("default/reviews-v1-1", "app=reviews,version=v1", "10.0.1.1").port("http", 9080))
            .workload(workload("default/reviews-v2-1", "app=reviews,version=v2", "10.0.2.1").port("http", 9080))
            .workload(workload("default/db-1", "app=db", "10.0.3.1").port("tcp", 5432))
            .split("default/reviews-split", "reviews", backend("reviews-v1", 90), backend("reviews-v2", 10))
            .routeGroup("default/canary", headerMatch("canary-header", "x-canary", "true"))
            .matchedSplit("default/reviews-canary", "reviews", "canary", backend("reviews-v2", 1))
            .build();

    private final RequestSimulator frontend = new RequestSimulator(
            Translator.translate(MESH, ProxyNode.sidecar(ref("default/frontend-1"), "frontend")));

    @Test
    void aRequestFromFrontendToReviewsLandsOnReviewsV2AboutTenPercentOfTheTime() {
        Outcome outcome = frontend.outbound(Request.to("reviews:9080"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.share(REVIEWS_V2)).isEqualTo(0.10);
        Random random = new Random(42);
        int toV2 = 0;
        for (int i = 0; i < 10_000; i++) {
            if (outcome.pick(random).cluster().equals(REVIEWS_V2)) {
                toV2++;
            }
        }
        assertThat(toV2 / 10_000.0).isBetween(0.08, 0.12);
        assertThat(outcome.target(REVIEWS_V2).endpoints())
                .extracting(RequestSimulator.Endpoint::address).containsExactly("10.0.2.1");
    }

    @Test
    void canaryHeaderGoesToV2Only() {
        Outcome outcome = frontend.outbound(Request.to("reviews:9080").header("x-canary", "true"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.clusters()).containsExactly(REVIEWS_V2);
    }

    @Test
    void anotherCanaryHeaderValueFollowsTheDefaultSplit() {
        Outcome outcome = frontend.outbound(Request.to("reviews:9080").header("x-canary", "false"));

        assertThat(outcome.route()).isEqualTo("default");
        assertThat(outcome.clusters()).containsExactly(REVIEWS_V1, REVIEWS_V2);
    }

    @Test
    void unknownHostMatchesNoVirtualHost() {
        Outcome outcome = frontend.outbound(Request.to("ratings:9080"));

        assertThat(outcome.result()).isEqualTo(Result.NO_VIRTUAL_HOST);
    }

    @Test
    void tcpServicePortHasATcpProxyChain() {
        Outcome outcome = frontend.outbound(Request.to("db", 5432));

        assertThat(outcome.result()).isEqualTo(Result.TCP_PROXIED);
        assertThat(outcome.clusters()).containsExactly("outbound|5432||db.default.svc.cluster.local");
        assertThat(outcome.targets().get(0).endpoints())
                .containsExactly(new RequestSimulator.Endpoint("10.0.3.1", 5432,
                        HealthStatus.HEALTHY));
    }

    @Test
    void aPortlessShortHostFromTheSameNamespaceIsRouted() {
        Outcome outcome = frontend.outbound(Request.to("reviews", 9080));

        assertThat(outcome.virtualHost()).isEqualTo("reviews.default.svc.cluster.local:9080");
    }

    @Test
    void theShortHostDoesNotResolveFromAnotherNamespace() {
        RequestSimulator elsewhere = new RequestSimulator(
                Translator.translate(MESH, ProxyNode.sidecar(ref("shop/cart-1"), "cart")));

        assertThat(elsewhere.outbound(Request.to("reviews:9080")).result()).isEqualTo(Result.NO_VIRTUAL_HOST);
        assertThat(elsewhere.outbound(Request.to("reviews.default:9080")).result()).isEqualTo(Result.ROUTED);
    }

    @Test
    void aProxylessClientGetsTheSameWeightedRouting() {
        RequestSimulator grpcClient = new RequestSimulator(Translator.translate(MESH, ProxyNode.proxyless("default")));

        Outcome outcome = grpcClient.proxyless(Request.to("reviews.default.svc.cluster.local:9080"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.share(REVIEWS_V1)).isEqualTo(0.90);
        assertThat(outcome.share(REVIEWS_V2)).isEqualTo(0.10);
    }

    @Test
    void aProxylessClientWithTheCanaryHeaderGoesToV2Only() {
        RequestSimulator grpcClient = new RequestSimulator(Translator.translate(MESH, ProxyNode.proxyless("default")));

        Outcome outcome = grpcClient.proxyless(Request.to("reviews:9080").header("x-canary", "true"));

        assertThat(outcome.clusters()).containsExactly(REVIEWS_V2);
    }

    @Test
    void capturedInboundTrafficReachesTheApplicationOnLoopback() {
        Outcome outcome = frontend.throughListener(ResourceNames.INBOUND, Request.to("10.0.0.1:8080"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.targets().get(0).endpoints())
                .extracting(RequestSimulator.Endpoint::address, RequestSimulator.Endpoint::port)
                .containsExactly(tuple("127.0.0.1", 18080));
    }

    @Test
    void everyTranslatedGroupPassesValidation() {
        assertThat(SnapshotValidator.validate(Translator.translate(MESH, ProxyNode.sidecar(ref("default/frontend-1"), "sa"))))
                .isEmpty();
        assertThat(SnapshotValidator.validate(Translator.translate(MESH, ProxyNode.proxyless("default")))).isEmpty();
        assertThat(SnapshotValidator.validate(Translator.translate(MESH, ProxyNode.sidecar(ref("shop/cart-1"), "sa"))))
                .isEmpty();
    }
}
