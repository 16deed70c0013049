package io.meshwork.controlplane.canary.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.CanaryState;
import io.meshwork.controlplane.source.kubernetes.MockApiServer;
import io.meshwork.controlplane.xds.Eventually;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The leader's Canary runs: a promotion taken over by the next leader where the last one left it,
 * and a Canary that cannot start recorded as Failed with the reason. The sidecars' metrics come from a
 * real HTTP endpoint on loopback (a meshed pod's Prometheus port) whose counters grow with every scrape.
 */
class CanaryOperatorTest {

    @Test
    void aPromotionIsTakenOverByTheNextLeaderAtTheStepTheSplitRecords() throws Exception {
        HttpServer metrics = healthyCanaryMetrics();
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient setup = api.client();
            setup.services().resource(service("reviews-v1", Map.of("app", "reviews"), 9080)).create();
            setup.services().resource(service("reviews-v2", Map.of("app", "reviews"), 9080)).create();
            api.trafficSplits().resource(split("reviews", 100, 0)).create();
            setup.pods().resource(meshedPod(metrics.getAddress().getPort())).create();
            Supplier<List<Pod>> pods = () -> setup.pods().inAnyNamespace().list().getItems();
            CanaryObjects.canaries(setup).resource(CanaryObjects.object("default", new CanaryPlan("reviews", "reviews-v1",
                    "reviews-v2", List.of(25, 50, 75, 100), Duration.ofMillis(400), 99, Duration.ofMillis(500), 2))).create();

            try (CanaryOperator first = new CanaryOperator(api.newClient(), pods, d -> Thread.sleep(d.toMillis()), "cp-0");
                 CanaryOperator second = new CanaryOperator(api.newClient(), pods, d -> Thread.sleep(d.toMillis()), "cp-1")) {
                first.start();
                second.start();
                first.leading(true);
                Eventually.await(Duration.ofSeconds(20), "step 2 recorded", () -> step(setup) >= 2);
                first.leading(false); // the Lease moved: the run stops without writing
                Eventually.await(Duration.ofSeconds(5), "the first replica's run stopped", () -> first.running() == 0);
                int stoppedAt = CanaryState.of(note(api)).step();
                assertThat(stoppedAt).as("the split's note records the step the run was on").isBetween(2, 4);

                second.leading(true);
                Eventually.await(Duration.ofSeconds(20), "Promoted",
                        () -> "Promoted".equals(CanaryObjects.phase(canary(setup))));
            }
            var checks = CanaryObjects.checks(canary(setup));
            assertThat(checks).extracting(c -> ((Number) c.get("step")).intValue()).contains(1, 2, 4);
            assertThat(checks).allSatisfy(c -> assertThat(c).containsEntry("verdict", "PASSED"));
            assertThat(checks).as("the retry rate beside the success rate in status.checks").allSatisfy(c -> {
                assertThat(((Number) c.get("retryRate")).doubleValue()).isEqualTo(20.0);
                assertThat(((Number) c.get("ejections")).longValue()).isZero();
            });
            assertThat(CanaryState.of(note(api)).phase()).isEqualTo(CanaryState.Phase.PROMOTED);
            assertThat(MockApiServer.backends(api.trafficSplits().inNamespace("default").withName("reviews").get()))
                    .extracting(b -> ((Number) b.get("weight")).intValue()).containsExactly(0, 100);
        } finally {
            metrics.stop(0);
        }
    }

    @Test
    void aCanaryThatCannotStartIsRecordedAsFailedWithTheReasonAndTheSplitIsUntouched() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient setup = api.client();
            setup.services().resource(service("reviews-v1", Map.of("app", "reviews"), 9080)).create();
            api.trafficSplits().resource(split("reviews", 100, 0)).create();
            CanaryObjects.canaries(setup).resource(new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                    .withApiVersion("meshwork.io/v1alpha1").withKind("Canary")
                    .withNewMetadata().withName("reviews").withNamespace("default").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("service", "reviews", "primary", "reviews-v1",
                            "canary", "reviews-v2", "steps", List.of(50, 100), "interval", "soon"))
                    .build()).create();
            try (CanaryOperator operator = new CanaryOperator(api.newClient(), List::of, d -> Thread.sleep(d.toMillis()), "cp-0")) {
                operator.start();
                operator.leading(true);
                Eventually.await(Duration.ofSeconds(10), "Failed", () -> "Failed".equals(CanaryObjects.phase(canary(setup))));
            }
            assertThat(CanaryObjects.status(canary(setup)).get("message"))
                    .isEqualTo("Canary default/reviews: spec.interval: \"soon\" is not a duration (a number with a unit ms, s, m or h: "
                            + "250ms, 2s, 1m30s)");
            assertThat(note(api)).isNull();
        }
    }

    private static io.fabric8.kubernetes.api.model.GenericKubernetesResource canary(KubernetesClient client) {
        return CanaryObjects.canaries(client).inNamespace("default").withName("reviews").get();
    }

    private static int step(KubernetesClient client) {
        var canary = canary(client);
        return canary == null || !(CanaryObjects.status(canary).get("step") instanceof Number n) ? 0 : n.intValue();
    }

    private static String note(MockApiServer api) {
        Map<String, String> annotations = api.trafficSplits().inNamespace("default").withName("reviews").get()
                .getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get("meshwork.io/canary-status");
    }

    private static Pod meshedPod(int metricsPort) {
        return new PodBuilder().withMetadata(new ObjectMetaBuilder().withName("frontend-0").withNamespace("default")
                        .addToAnnotations("meshwork.io/status", "{}")
                        .addToAnnotations("prometheus.io/port", String.valueOf(metricsPort)).build())
                .withNewStatus().withPodIP("127.0.0.1").withPhase("Running").endStatus().build();
    }

    /**
     * A sidecar's Prometheus endpoint as the caller of reviews-v1/v2 reports it: 10 more 200s to each per scrape, all
     * under 5 ms, after 2 retries.
     */
    private static HttpServer healthyCanaryMetrics() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        AtomicLong count = new AtomicLong();
        server.createContext("/stats/prometheus", exchange -> {
            long n = count.addAndGet(10);
            StringBuilder text = new StringBuilder();
            for (String backend : List.of("reviews-v1", "reviews-v2")) {
                String labels = "reporter=\"source\",destination_service=\"" + backend + ".default.svc.cluster.local\"";
                text.append("mesh_requests_total{").append(labels).append(",response_code=\"200\"} ").append(n).append('\n');
                text.append("mesh_request_duration_milliseconds_bucket{").append(labels).append(",le=\"5\"} ").append(n).append('\n');
                text.append("mesh_request_duration_milliseconds_bucket{").append(labels).append(",le=\"+Inf\"} ").append(n).append('\n');
                // Two retries for every ten requests, all of which succeeded in the end.
                text.append("mesh_upstream_retries_total{cluster_name=\"outbound|9080||").append(backend)
                        .append(".default.svc.cluster.local\",").append(labels).append("} ").append(n / 5).append('\n');
            }
            byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }
}
