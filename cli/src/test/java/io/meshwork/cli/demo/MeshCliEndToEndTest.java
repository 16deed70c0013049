package io.meshwork.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.cli.Main;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh canary promote}, {@code proxy-status} and {@code proxy-config} against the real mesh of the demo (control plane, sidecars, echo apps,
 * steady load), finding the sidecars' metrics through the control plane as a user's CLI would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshCliEndToEndTest {

    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final int THRESHOLD = 2;

    @TempDir
    static Path work;

    static SampleMesh sample;
    static Path config;
    static DemoMesh mesh;

    @BeforeAll
    static void startMesh() throws Exception {
        sample = SampleMesh.start(work);
        config = sample.config();
        mesh = sample.mesh();
    }

    @AfterAll
    static void stopMesh() throws Exception {
        if (sample != null) {
            sample.close();
        }
    }

    @Test
    @Order(0)
    void proxyStatusShowsEverySidecarSynced() {
        Run run = cli("proxy-status", "--control-plane", mesh.controlPlaneAdmin().toString());

        assertThat(run.code()).isZero();
        assertThat(run.out()).containsPattern("default/frontend-1\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+\\d+[smh]\\S*\\s+in 23h")
                .containsPattern("default/reviews-v3-1\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+SYNCED");
    }

    @Test
    @Order(0)
    void proxyConfigShowsTheFrontendsRoutesAndEndpoints() throws IOException {
        Run routes = cli("proxy-config", "frontend-1", "routes", "--control-plane", mesh.controlPlaneAdmin().toString());
        Run endpoints = cli("proxy-config", "frontend-1", "endpoints", "--control-plane", mesh.controlPlaneAdmin().toString());
        Run clusters = cli("proxy-config", "frontend-1", "clusters", "--control-plane", mesh.controlPlaneAdmin().toString());

        assertThat(routes.code()).isZero();
        assertThat(routes.out()).contains("reviews.default.svc.cluster.local:9080")
                .contains("outbound|9080||reviews-v1.default.svc.cluster.local");
        String v2Address = new LocalConfigLoader().load(config).snapshot().workloads()
                .get(ObjectRef.of("default", "reviews-v2-1")).address();
        assertThat(endpoints.out()).containsPattern(java.util.regex.Pattern.quote(v2Address + ":9080") + "\\s+HEALTHY\\s+reviews-v2-1\\s+v2");
        // The sample's MeshCircuitBreaker and MeshRetry budget on reviews; Envoy's defaults on its backends.
        assertThat(clusters.out()).containsPattern("outbound\\|9080\\|\\|reviews.default.svc.cluster.local\\s+reviews\\s+"
                        + "\\S+\\s+no\\s+\\d+\\s+\\d+\\s+100\\s+100\\s+200\\s+budget 20% \\(min 3\\)")
                .containsPattern("outbound\\|9080\\|\\|reviews-v1.default.svc.cluster.local.*1024\\s+1024\\s+1024\\s+3");
    }

    @Test
    @Order(0)
    void proxyConfigClustersCountsTheEndpointsOutlierDetectionEjected() throws Exception {
        String cp = mesh.controlPlaneAdmin().toString();
        String v3 = "outbound\\|9080\\|\\|reviews-v3.default.svc.cluster.local\\s+reviews-v3\\s+\\S+\\s+no\\s+1\\s+";
        // reviews-v3 fails a fifth of its requests; its MeshCircuitBreaker ejects after 2 errors in a row for 30 s.
        try (LoadGenerator v3Load = new LoadGenerator(new InetSocketAddress("127.0.0.1", mesh.sidecarOf("frontend").outboundPort()),
                URI.create("http://reviews-v3:9080/"), 2, Duration.ZERO)) {
            v3Load.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!cli("proxy-config", "frontend-1", "endpoints", "--control-plane", cp).out().contains("EJECTED")) {
                assertThat(System.nanoTime()).as("reviews-v3-1 ejected within 30 s").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
        Run clusters = cli("proxy-config", "frontend-1", "clusters", "--control-plane", cp);

        assertThat(clusters.out()).contains("EJECTED").containsPattern(v3 + "1\\s+1024")
                .as("no outlier detection on reviews-v1").containsPattern(
                        "outbound\\|9080\\|\\|reviews-v1.default.svc.cluster.local\\s+reviews-v1\\s+\\S+\\s+no\\s+1\\s+-\\s+1024");
    }

    @Test
    @Order(0)
    void proxyConfigShowsWhereListenersListenAndTheCertificates() {
        String cp = mesh.controlPlaneAdmin().toString();
        Run listeners = cli("proxy-config", "frontend-1", "listeners", "--control-plane", cp);
        Run secrets = cli("proxy-config", "reviews-v1-1", "secrets", "--control-plane", cp);

        assertThat(listeners.out()).containsPattern("outbound\\s+127.0.0.1:" + mesh.sidecarOf("frontend").outboundPort()
                + " \\(xDS 0.0.0.0:15001\\)");
        assertThat(secrets.code()).isZero();
        assertThat(secrets.out()).containsPattern("default\\s+certificate \\(chain of \\d\\)\\s+[0-9a-f]+\\s+"
                        + "spiffe://cluster.local/ns/default/sa/reviews\\s+\\S+\\s+in \\d+h")
                .containsPattern("ROOTCA\\s+trusted root\\s+[0-9a-f]+\\s+CN=meshwork root CA");
    }

    @Test
    @Order(0)
    void jsonAndYamlAreEnvoysConfigDumpAndTheControlPlanesProxyList() throws Exception {
        String cp = mesh.controlPlaneAdmin().toString();
        Run json = cli("proxy-config", "frontend-1", "clusters", "-o", "json", "--control-plane", cp);
        Run yaml = cli("proxy-config", "frontend-1", "-o", "yaml", "--control-plane", cp);
        Run status = cli("proxy-status", "-o", "json", "--control-plane", cp);

        var section = com.google.protobuf.Any.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().usingTypeRegistry(io.meshwork.proxy.admin.EnvoyConfigDump.types())
                .merge(json.out(), section);
        var clusters = section.build().unpack(io.envoyproxy.envoy.admin.v3.ClustersConfigDump.class);
        assertThat(clusters.getDynamicActiveClustersList()).extracting(c -> c.getCluster()
                        .unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName())
                .contains("outbound|9080||reviews-v2.default.svc.cluster.local");
        assertThat(yaml.out()).contains("configs:").contains("'@type': type.googleapis.com/envoy.admin.v3.ListenersConfigDump");
        assertThat(status.code()).isZero();
        assertThat(status.out()).contains("\"workload\" : \"frontend-1\"");
    }

    @Test
    @Order(0)
    void proxyConfigOfAnUnknownWorkloadNamesTheConnectedOnes() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.execute("proxy-config", "ratings-1", "--control-plane", mesh.controlPlaneAdmin().toString());
        } finally {
            System.setErr(oldErr);
        }

        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no sidecar of workload default/ratings-1")
                .contains("default/frontend-1");
    }

    @Test
    @Order(1)
    void healthyCanaryReachesAllTraffic() throws IOException {
        Run run = promote("reviews-v2", "reviews-v1");

        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).contains("promoted: reviews-v2 passed every step");
        assertThat(weights()).containsEntry("reviews-v2", 100L).containsEntry("reviews-v1", 0L);
    }

    @Test
    @Order(2)
    void canaryFailingAFifthOfRequestsRollsBackWithinThresholdTimesIntervalPlusOne() throws IOException {
        Run run = promote("reviews-v3", "reviews-v2");

        assertThat(run.code()).as(run.out()).isEqualTo(1);
        assertThat(run.out()).contains("rolled back: reviews-v3 failed 2 checks").contains("success rate");
        assertThat(weights()).containsEntry("reviews-v2", 100L).containsEntry("reviews-v3", 0L);
        // threshold failed intervals, plus one for the checks before the first step and a loaded machine
        assertThat(run.elapsed()).isLessThanOrEqualTo(INTERVAL.multipliedBy(THRESHOLD + 2));
    }

    @Test
    @Order(3)
    void promotionWithAThirdBackendMovesOnlyThePairAndLeavesTheThirdBackend() throws IOException {
        Run set = cli("split", "set", "reviews", "reviews-v1=100", "reviews-v2=50", "reviews-v3=50",
                "--config-dir", config.toString());
        assertThat(set.out()).contains("canary status cleared (was: rolled back canary=reviews-v3");

        Run run = promote("reviews-v2", "reviews-v1");

        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).contains("steps [20, 50, 100] of the 150 that reviews-v1 and reviews-v2 hold (reviews-v2 at 30, 75, 150)")
                .contains("promoted: reviews-v2 passed every step");
        assertThat(weights()).containsEntry("reviews-v1", 0L).containsEntry("reviews-v2", 150L).containsEntry("reviews-v3", 50L);
    }

    @Test
    @Order(4)
    void abortDuringARunningPromotionGivesThePairsShareToThePrimaryAndTheThirdBackendKeepsItsWeight() throws Exception {
        CompletableFuture<Run> promotion = CompletableFuture.supplyAsync(() -> promote("reviews-v1", "reviews-v2"));
        TrafficSplitFiles files = new TrafficSplitFiles(config);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!String.valueOf(files.find("default", "reviews").orElseThrow().status()).startsWith("promoting")
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        Run abort = cli("canary", "abort", "reviews", "--config-dir", config.toString());
        Run promote = promotion.get(30, TimeUnit.SECONDS);

        assertThat(abort.code()).isZero();
        assertThat(abort.out()).contains("aborted the promotion of reviews-v1 at step 1/3 on reviews")
                .contains("weights now reviews-v1=0 (0%), reviews-v2=150 (75%), reviews-v3=50 (25%)");
        assertThat(promote.code()).isEqualTo(1);
        assertThat(promote.out()).contains("aborted: the weights of reviews-v2/reviews-v1 were changed outside this promotion");
        assertThat(weights()).containsEntry("reviews-v1", 0L).containsEntry("reviews-v2", 150L).containsEntry("reviews-v3", 50L);
        assertThat(files.find("default", "reviews").orElseThrow().status()).startsWith("aborted canary=reviews-v1");
    }

    @Test
    @Order(5)
    void anHttpRouteForReviewsOverridesItsSplitAndThePromotionWeighsTheRoutesRuleWithoutMatches() throws Exception {
        // after order 4 the TrafficSplit holds reviews-v1=0, reviews-v2=150, reviews-v3=50
        Path split = new TrafficSplitFiles(config).find("default", "reviews").orElseThrow().file();
        String splitText = Files.readString(split);
        Files.writeString(config.resolve("reviews-route.yaml"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews}]
                  rules:
                    - name: testers
                      matches: [{headers: [{name: x-canary, value: "true"}]}]
                      backendRefs: [{name: reviews-v3, port: 9080}]
                    - name: everyone
                      backendRefs:
                        - {name: reviews-v2, port: 9080, weight: 100}
                        - {name: reviews-v1, port: 9080, weight: 0}
                """);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!versionFor(true).equals("v3") && System.nanoTime() < deadline) {
            Thread.sleep(50); // until the frontend's sidecar has the route
        }
        assertThat(versionFor(true)).as("a tester, by the route's first rule").isEqualTo("v3");

        Run run = promote("reviews-v1", "reviews-v2");

        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).contains("Promoting reviews-v1 on reviews (HTTPRoute default/reviews): steps [20, 50, 100] of the "
                + "100 that reviews-v2 and reviews-v1 hold").contains("promoted: reviews-v1 passed every step");
        assertThat(weights()).containsExactly(Map.entry("reviews-v2", 0L), Map.entry("reviews-v1", 100L));
        assertThat(Files.readString(split)).as("the overridden TrafficSplit is left as it was").isEqualTo(splitText);
        for (int i = 0; i < 20; i++) {
            assertThat(versionFor(false)).isEqualTo("v1");
        }
        assertThat(versionFor(true)).as("the testers' rule kept its backend").isEqualTo("v3");
        Run get = cli("split", "get", "reviews", "--config-dir", config.toString());
        assertThat(get.out()).startsWith("HTTPRoute default/reviews (" + config.resolve("reviews-route.yaml") + ")");
    }

    /** The version of reviews that answers a call through the frontend's sidecar, with or without the testers' header. */
    private static String versionFor(boolean tester) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", mesh.sidecarOf("frontend").outboundPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nhost: reviews:9080\r\n" + (tester ? "x-canary: true\r\n" : "")
                    + "connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return response.lines().filter(l -> l.regionMatches(true, 0, "x-echo-version:", 0, 15))
                    .map(l -> l.substring(15).strip()).findFirst().orElse(response.lines().findFirst().orElse("no answer"));
        }
    }

    record Run(int code, String out, Duration elapsed) {
    }

    private static Run promote(String canary, String primary) {
        return cli("canary", "promote", "reviews", "--canary", canary, "--primary", primary,
                "--steps", "20,50,100", "--interval", INTERVAL.toSeconds() + "s", "--threshold", Integer.toString(THRESHOLD),
                "--config-dir", config.toString(), "--control-plane", mesh.controlPlaneAdmin().toString());
    }

    private static Run cli(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long start = System.nanoTime();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.execute(args);
        } finally {
            System.setOut(oldOut);
        }
        Run run = new Run(code, out.toString(StandardCharsets.UTF_8), Duration.ofNanos(System.nanoTime() - start));
        System.out.println(run.out() + "(took " + run.elapsed().toMillis() + " ms)");
        return run;
    }

    private static Map<String, Long> weights() throws IOException {
        return sample.weights();
    }

    private static void setWeights(Map<String, Long> weights) throws IOException {
        SampleMesh.setWeights(config, weights);
    }
}
