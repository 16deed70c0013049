package io.meshwork.controlplane.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.translate.RequestSimulator.Outcome;
import io.meshwork.controlplane.translate.RequestSimulator.Request;
import io.meshwork.controlplane.translate.RequestSimulator.Result;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Where requests land (Istio's simulation tests): YAML as a user writes it goes through the local
 * loader and the translator, then a request is walked through the translated config.
 */
class TrafficSplitSimulationTest {

    private static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
    private static final String REVIEWS_V1 = "outbound|9080||reviews-v1.default.svc.cluster.local";
    private static final String REVIEWS_V2 = "outbound|9080||reviews-v2.default.svc.cluster.local";
    private static final ObjectRef FRONTEND_1 = ObjectRef.of("default", "frontend-1");

    /** frontend (meshed), reviews with v1 and v2 behind it, and a tcp db. */
    private static final String MESH_YAML = String.join("---\n",
            service("frontend", "{app: frontend}", "http", 8080),
            service("reviews", "{app: reviews}", "http", 9080),
            service("reviews-v1", "{app: reviews, version: v1}", "http", 9080),
            service("reviews-v2", "{app: reviews, version: v2}", "http", 9080),
            service("db", "{app: db}", "tcp", 5432),
            workload("frontend-1", "{app: frontend}", "10.0.0.1", "{http: 8080}") + """
                      appPorts: {http: 18080}
                      serviceAccount: frontend
                    """,
            workload("reviews-v1-1", "{app: reviews, version: v1}", "10.0.1.1", "{http: 9080}"),
            workload("reviews-v2-1", "{app: reviews, version: v2}", "10.0.2.1", "{http: 9080}"),
            workload("db-1", "{app: db}", "10.0.3.1", "{tcp: 5432}"));

    private static final String SPLIT_90_10 = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: reviews-split, namespace: default}
            spec:
              service: reviews
              backends: [{service: reviews-v1, weight: 90}, {service: reviews-v2, weight: 10}]
            """;

    /** The A/B case: requests with {@code x-canary: "true"} go to v2 only. */
    private static final String CANARY_HEADER = """
            apiVersion: specs.smi-spec.io/v1alpha4
            kind: HTTPRouteGroup
            metadata: {name: canary, namespace: default}
            spec:
              matches:
              - name: canary-header
                headers:
                  x-canary: "true"
            ---
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: reviews-canary, namespace: default}
            spec:
              service: reviews
              matches:
              - kind: HTTPRouteGroup
                name: canary
              backends:
              - service: reviews-v2
                weight: 1
            """;

    /** Writes to the reviews API (POST or PUT under /api/) go to v2 only. */
    private static final String API_WRITES = """
            apiVersion: specs.smi-spec.io/v1alpha4
            kind: HTTPRouteGroup
            metadata: {name: api-writes, namespace: default}
            spec:
              matches:
              - name: writes
                pathRegex: "/api/reviews(/.*)?"
                methods: [POST, PUT]
            ---
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: reviews-writes, namespace: default}
            spec:
              service: reviews
              matches:
              - kind: HTTPRouteGroup
                name: api-writes
              backends:
              - service: reviews-v2
                weight: 100
            """;

    private static final Map<String, String> CANARY_MESH = files(
            "mesh.yaml", MESH_YAML, "split.yaml", SPLIT_90_10, "canary.yaml", CANARY_HEADER);

    private final RequestSimulator frontend = sidecar(load(CANARY_MESH), FRONTEND_1);
    private final RequestSimulator apiClient = sidecar(load(files("mesh.yaml", MESH_YAML, "split.yaml", SPLIT_90_10,
            "writes.yaml", API_WRITES)), FRONTEND_1);

    @Test
    void aRequestFromFrontendToReviewsLandsOnReviewsV2AboutTenPercentOfTheTime() {
        Outcome outcome = frontend.outbound(Request.to("reviews:9080"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.share(REVIEWS_V2)).isEqualTo(0.10);
        assertThat(fractionPicked(outcome, REVIEWS_V2)).isBetween(0.08, 0.12);
        assertThat(outcome.target(REVIEWS_V2).endpoints())
                .extracting(RequestSimulator.Endpoint::address).containsExactly("10.0.2.1");
    }

    @Test
    void v1alpha1QuantityWeightsOf1000mTo500mSplitTwoThirdsToOneThird() {
        String v1alpha1 = """
                apiVersion: split.smi-spec.io/v1alpha1
                kind: TrafficSplit
                metadata: {name: reviews-split, namespace: default}
                spec:
                  service: reviews
                  backends:
                  - service: reviews-v1
                    weight: "1"
                  - service: reviews-v2
                    weight: 500m
                """;
        RequestSimulator client = sidecar(load(files("mesh.yaml", MESH_YAML, "split.yaml", v1alpha1)), FRONTEND_1);

        Outcome outcome = client.outbound(Request.to("reviews.default.svc.cluster.local:9080"));

        assertThat(outcome.target(REVIEWS_V1).weight()).isEqualTo(1000);
        assertThat(outcome.target(REVIEWS_V2).weight()).isEqualTo(500);
        assertThat(fractionPicked(outcome, REVIEWS_V1)).isBetween(0.64, 0.70);
    }

    @Test
    void theCanaryHeaderSendsARequestToV2Only() {
        Outcome outcome = frontend.outbound(Request.to("reviews:9080").header("x-canary", "true"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.route()).isEqualTo("default/reviews-canary/canary/canary-header");
        assertThat(outcome.clusters()).containsExactly(REVIEWS_V2);
    }

    @Test
    void aRequestThatMatchesNoRouteGroupFallsThroughToTheRootServicesDefaultSplit() {
        Outcome outcome = frontend.outbound(Request.to("reviews:9080").header("x-canary", "false"));

        assertThat(outcome.route()).isEqualTo("default");
        assertThat(outcome.share(REVIEWS_V1)).isEqualTo(0.90);
        assertThat(outcome.share(REVIEWS_V2)).isEqualTo(0.10);
    }

    @Test
    void withoutADefaultSplitAnUnmatchedRequestGoesToTheRootServiceItself() {
        RequestSimulator client = sidecar(load(files("mesh.yaml", MESH_YAML, "canary.yaml", CANARY_HEADER)), FRONTEND_1);

        assertThat(client.outbound(Request.to("reviews:9080")).clusters()).containsExactly(REVIEWS);
        assertThat(client.outbound(Request.to("reviews:9080").header("x-canary", "true")).clusters())
                .containsExactly(REVIEWS_V2);
    }

    @Test
    void aWriteToTheApiMatchesByPathRegexAndMethod() {
        Outcome outcome = apiClient.outbound(Request.to("reviews:9080").method("POST").path("/api/reviews/7?draft=1"));

        assertThat(outcome.route()).isEqualTo("default/reviews-writes/api-writes/writes");
        assertThat(outcome.clusters()).containsExactly(REVIEWS_V2);
    }

    @Test
    void aReadOfTheApiDoesNotMatchAWritesOnlyRouteGroup() {
        Outcome outcome = apiClient.outbound(Request.to("reviews:9080").method("GET").path("/api/reviews/7"));

        assertThat(outcome.route()).isEqualTo("default");
        assertThat(outcome.clusters()).containsExactly(REVIEWS_V1, REVIEWS_V2);
    }

    @Test
    void aWriteOutsideTheApiPathDoesNotMatchTheRouteGroup() {
        Outcome outcome = apiClient.outbound(Request.to("reviews:9080").method("POST").path("/api/reviewsX"));

        assertThat(outcome.route()).isEqualTo("default");
    }

    @Test
    void twoDefaultSplitsForOneRootConflictSoTheRootIsServedUnsplit() {
        String second = SPLIT_90_10.replace("reviews-split", "reviews-split-2").replace("weight: 90", "weight: 50");
        LoadResult result = new LocalConfigLoader().load(files("mesh.yaml", MESH_YAML, "a.yaml", SPLIT_90_10, "b.yaml", second));

        assertThat(result.errors()).extracting(ConfigProblem::file).containsExactly("a.yaml", "b.yaml");
        Outcome outcome = sidecar(result.snapshot(), FRONTEND_1).outbound(Request.to("reviews:9080"));
        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.clusters()).containsExactly(REVIEWS);
    }

    @Test
    void brokenYamlKeepsTheLastGoodRouting() {
        LocalConfigLoader loader = new LocalConfigLoader();
        Map<String, String> files = files("mesh.yaml", MESH_YAML, "split.yaml", SPLIT_90_10);
        loader.load(files);
        files.put("split.yaml", SPLIT_90_10.replace("weight: 10", "weight: [10"));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.file()).isEqualTo("split.yaml"));
        Outcome outcome = sidecar(result.snapshot(), FRONTEND_1).outbound(Request.to("reviews:9080"));
        assertThat(outcome.share(REVIEWS_V2)).isEqualTo(0.10);
    }

    @Test
    void rewritingTheSplitToZeroAndHundredMovesEveryRequestToV2() {
        LocalConfigLoader loader = new LocalConfigLoader();
        Map<String, String> files = files("mesh.yaml", MESH_YAML, "split.yaml", SPLIT_90_10);
        loader.load(files);
        files.put("split.yaml", SPLIT_90_10.replace("weight: 90", "weight: 0").replace("weight: 10", "weight: 100"));

        Outcome outcome = sidecar(loader.load(files).snapshot(), FRONTEND_1).outbound(Request.to("reviews:9080"));

        assertThat(outcome.clusters()).containsExactly(REVIEWS_V2);
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
                .containsExactly(new RequestSimulator.Endpoint("10.0.3.1", 5432, HealthStatus.HEALTHY));
    }

    @Test
    void aPortlessShortHostFromTheSameNamespaceIsRouted() {
        Outcome outcome = frontend.outbound(Request.to("reviews", 9080));

        assertThat(outcome.virtualHost()).isEqualTo("reviews.default.svc.cluster.local:9080");
    }

    @Test
    void theShortHostDoesNotResolveFromAnotherNamespace() {
        RequestSimulator elsewhere = sidecar(load(CANARY_MESH), ObjectRef.of("shop", "cart-1"));

        assertThat(elsewhere.outbound(Request.to("reviews:9080")).result()).isEqualTo(Result.NO_VIRTUAL_HOST);
        assertThat(elsewhere.outbound(Request.to("reviews.default:9080")).result()).isEqualTo(Result.ROUTED);
    }

    @Test
    void aProxylessClientGetsTheSameWeightedRouting() {
        RequestSimulator grpcClient = new RequestSimulator(Translator.translate(load(CANARY_MESH), ProxyNode.proxyless("default")));

        Outcome outcome = grpcClient.proxyless(Request.to("reviews.default.svc.cluster.local:9080"));

        assertThat(outcome.result()).isEqualTo(Result.ROUTED);
        assertThat(outcome.share(REVIEWS_V1)).isEqualTo(0.90);
        assertThat(outcome.share(REVIEWS_V2)).isEqualTo(0.10);
    }

    @Test
    void aProxylessClientWithTheCanaryHeaderGoesToV2Only() {
        RequestSimulator grpcClient = new RequestSimulator(Translator.translate(load(CANARY_MESH), ProxyNode.proxyless("default")));

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
        MeshSnapshot mesh = load(files("mesh.yaml", MESH_YAML, "split.yaml", SPLIT_90_10, "canary.yaml", CANARY_HEADER,
                "writes.yaml", API_WRITES));

        assertThat(SnapshotValidator.validate(Translator.translate(mesh, ProxyNode.sidecar(FRONTEND_1, "frontend")))).isEmpty();
        assertThat(SnapshotValidator.validate(Translator.translate(mesh, ProxyNode.proxyless("default")))).isEmpty();
        assertThat(SnapshotValidator.validate(Translator.translate(mesh, ProxyNode.sidecar(ObjectRef.of("shop", "cart-1"), "cart"))))
                .isEmpty();
    }

    /** A Service in {@code default} with one port whose appProtocol is its name. */
    private static String service(String name, String selector, String protocol, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: default}
                spec:
                  selector: %s
                  ports: [{name: %s, port: %d, appProtocol: %s}]
                """.formatted(name, selector, protocol, port, protocol);
    }

    /** A Workload in {@code default}; append {@code appPorts} to mesh it. */
    private static String workload(String name, String labels, String address, String ports) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata: {name: %s, namespace: default, labels: %s}
                spec:
                  address: %s
                  ports: %s
                """.formatted(name, labels, address, ports);
    }

    /** Loads the files with a fresh loader; the YAML of these tests must load without a problem. */
    private static MeshSnapshot load(Map<String, String> files) {
        LoadResult result = new LocalConfigLoader().load(files);
        assertThat(result.problems()).as("problems loading the test YAML").isEmpty();
        return result.snapshot();
    }

    private static RequestSimulator sidecar(MeshSnapshot mesh, ObjectRef workload) {
        return new RequestSimulator(Translator.translate(mesh, ProxyNode.sidecar(workload, "default")));
    }

    /** How often Envoy's weighted pick chooses {@code cluster} in 10,000 requests (fixed seed). */
    private static double fractionPicked(Outcome outcome, String cluster) {
        Random random = new Random(42);
        int picked = 0;
        for (int i = 0; i < 10_000; i++) {
            if (outcome.pick(random).cluster().equals(cluster)) {
                picked++;
            }
        }
        return picked / 10_000.0;
    }

    private static Map<String, String> files(String... nameThenText) {
        Map<String, String> files = new TreeMap<>();
        for (int i = 0; i < nameThenText.length; i += 2) {
            files.put(nameThenText[i], nameThenText[i + 1]);
        }
        return files;
    }
}
