package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.meshwork.cli.demo.LoadGenerator;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.proxy.SidecarProxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Locality-aware failover across clusters through a real sidecar under load: west (this control plane's
 * cluster, zone eu-a) and east (a remote cluster, us-a) both run reviews; the frontend in west sends
 * everything to west's pod while it is ready, all of it to east's when west's turns not ready, and comes back
 * when it is ready again. With a third cluster, north, in west's region (eu-b), west's traffic goes to north
 * before east. A canary that runs only in east takes its TrafficSplit share of west's requests. fabric8's mock
 * API servers (CRUD mode) are the clusters; real HTTP servers stand for the pods. The failed-request counts,
 * each move's time and the share are printed.
 */
class MultiClusterTrafficTest {

    @Test
    void westsClientFailsOverToEastWhenItsZoneGoesAndComesBack() throws Exception {
        try (TestCluster west = new TestCluster(); TestCluster east = new TestCluster();
             PodBackend westPod = new PodBackend("reviews-west-0", "v1"); PodBackend eastPod = new PodBackend("reviews-east-0", "v1")) {
            west.node("node-w", "eu", "eu-a").service("reviews", Map.of("app", "reviews"))
                    .pod("frontend-0", "node-w", "frontend").pod("reviews-west-0", "node-w", "reviews")
                    .slice("reviews-w", "reviews", "reviews-west-0", westPod.port(), true);
            east.node("node-e", "us", "us-a").service("reviews", Map.of("app", "reviews"))
                    .pod("reviews-east-0", "node-e", "reviews")
                    .slice("reviews-e", "reviews", "reviews-east-0", eastPod.port(), true);

            try (ClusterMesh mesh = ClusterMesh.start("west", west, Map.of("east", east), null)) {
                SidecarProxy sidecar = mesh.sidecar("frontend-0", "frontend", null);
                awaitRouted(sidecar.listenerPort("outbound"), westPod);
                LoadGenerator load = load(sidecar, 4, Duration.ofMillis(5));
                try {
                    Thread.sleep(500);
                    long eastBefore = eastPod.requests.get();
                    long westBefore = westPod.requests.get();
                    Thread.sleep(1000);
                    assertThat(eastPod.requests.get() - eastBefore).as("east's pod while west's is healthy").isZero();
                    assertThat(westPod.requests.get() - westBefore).as("west's pod while healthy").isPositive();

                    long moved = move(() -> west.slice("reviews-w", "reviews", "reviews-west-0", westPod.port(), false),
                            eastPod, westPod);
                    System.out.printf("west's zone not ready: all traffic on east after %d ms%n", moved);
                    long back = move(() -> west.slice("reviews-w", "reviews", "reviews-west-0", westPod.port(), true),
                            westPod, eastPod);
                    System.out.printf("west's zone ready again: all traffic back on west after %d ms%n", back);
                    Thread.sleep(300);
                } finally {
                    load.close();
                }
                System.out.printf("failover west -> east -> west: %d requests, %d failed%n", load.total(), load.failures());
                assertThat(load.total()).as("requests sent").isGreaterThan(200);
                assertThat(load.failures()).as("failed requests across both moves").isZero();
            }
        }
    }

    @Test
    void withThreeClustersWestFailsOverToItsRegionFirstThenToTheOtherRegion() throws Exception {
        try (TestCluster west = new TestCluster(); TestCluster north = new TestCluster(); TestCluster east = new TestCluster();
             PodBackend westPod = new PodBackend("reviews-west-0", "v1");
             PodBackend northPod = new PodBackend("reviews-north-0", "v1");
             PodBackend eastPod = new PodBackend("reviews-east-0", "v1")) {
            west.node("node-w", "eu", "eu-a").service("reviews", Map.of("app", "reviews"))
                    .pod("frontend-0", "node-w", "frontend").pod("reviews-west-0", "node-w", "reviews")
                    .slice("reviews-w", "reviews", "reviews-west-0", westPod.port(), true);
            north.node("node-n", "eu", "eu-b").service("reviews", Map.of("app", "reviews"))
                    .pod("reviews-north-0", "node-n", "reviews")
                    .slice("reviews-n", "reviews", "reviews-north-0", northPod.port(), true);
            east.node("node-e", "us", "us-a").service("reviews", Map.of("app", "reviews"))
                    .pod("reviews-east-0", "node-e", "reviews")
                    .slice("reviews-e", "reviews", "reviews-east-0", eastPod.port(), true);

            try (ClusterMesh mesh = ClusterMesh.start("west", west, Map.of("north", north, "east", east), null)) {
                SidecarProxy sidecar = mesh.sidecar("frontend-0", "frontend", null);
                awaitRouted(sidecar.listenerPort("outbound"), westPod);
                LoadGenerator load = load(sidecar, 4, Duration.ofMillis(5));
                try {
                    long toNorth = move(() -> west.slice("reviews-w", "reviews", "reviews-west-0", westPod.port(), false),
                            northPod, westPod, eastPod);
                    System.out.printf("west's pod not ready: all traffic on north (same region) after %d ms%n", toNorth);
                    long toEast = move(() -> north.slice("reviews-n", "reviews", "reviews-north-0", northPod.port(), false),
                            eastPod, westPod, northPod);
                    System.out.printf("north's pod not ready too: all traffic on east (other region) after %d ms%n", toEast);
                    long home = move(() -> west.slice("reviews-w", "reviews", "reviews-west-0", westPod.port(), true),
                            westPod, northPod, eastPod);
                    System.out.printf("west's pod ready again: all traffic back on west after %d ms%n", home);
                    Thread.sleep(300);
                } finally {
                    load.close();
                }
                System.out.printf("three clusters, west -> north -> east -> west: %d requests, %d failed%n",
                        load.total(), load.failures());
                assertThat(load.total()).as("requests sent").isGreaterThan(200);
                assertThat(load.failures()).as("failed requests across the three moves").isZero();
            }
        }
    }

    @Test
    void aCanaryLivingOnlyInEastGetsItsShareOfWestsClients() throws Exception {
        try (TestCluster west = new TestCluster(); TestCluster east = new TestCluster();
             PodBackend v1 = new PodBackend("reviews-v1-0", "v1"); PodBackend v2 = new PodBackend("reviews-v2-0", "v2")) {
            west.node("node-w", "eu", "eu-a").service("reviews", Map.of("app", "reviews"))
                    .service("reviews-v1", Map.of("app", "reviews", "version", "v1"))
                    .pod("frontend-0", "node-w", "frontend").pod("reviews-v1-0", "node-w", "reviews")
                    .slice("reviews-a", "reviews", "reviews-v1-0", v1.port(), true)
                    .slice("reviews-v1-a", "reviews-v1", "reviews-v1-0", v1.port(), true);
            east.node("node-e", "us", "us-a").service("reviews-v2", Map.of("app", "reviews", "version", "v2")) // only east has v2
                    .pod("reviews-v2-0", "node-e", "reviews")
                    .slice("reviews-v2-a", "reviews-v2", "reviews-v2-0", v2.port(), true);
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("service", "reviews");
            spec.put("backends", List.of(Map.of("service", "reviews-v1", "weight", 90),
                    Map.of("service", "reviews-v2", "weight", 10)));
            west.client.genericKubernetesResources(KubernetesSource.TRAFFIC_SPLIT.context())
                    .resource(new GenericKubernetesResourceBuilder().withApiVersion("split.smi-spec.io/v1alpha4")
                            .withKind("TrafficSplit").withMetadata(TestCluster.meta("reviews"))
                            .addToAdditionalProperties("spec", spec).build()).create();

            try (ClusterMesh mesh = ClusterMesh.start("west", west, Map.of("east", east), null)) {
                SidecarProxy sidecar = mesh.sidecar("frontend-0", "frontend", null);
                awaitRouted(sidecar.listenerPort("outbound"), v2);
                long v1Before = v1.requests.get();
                long v2Before = v2.requests.get();
                int requests = 2000;
                LoadGenerator load = load(sidecar, 8, Duration.ZERO);
                try {
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (load.total() < requests && System.nanoTime() < until) {
                        Thread.sleep(20);
                    }
                } finally {
                    load.close();
                }
                long failed = load.failures();
                double share = 100.0 * (v2.requests.get() - v2Before) / ((v1.requests.get() - v1Before) + (v2.requests.get() - v2Before));
                System.out.printf("canary only in east: %.1f%% of %d requests from west's client (split 10%%), %d failed%n",
                        share, load.total(), failed);
                assertThat(load.total()).isGreaterThanOrEqualTo(requests);
                assertThat(failed).isZero();
                assertThat(share).as("east's canary share of west's traffic, percent").isCloseTo(10.0, Offset.offset(3.0));
            }
        }
    }

    /** Load through {@code sidecar}'s outbound listener to reviews: {@code clients} loops pausing {@code pause}, started. */
    private static LoadGenerator load(SidecarProxy sidecar, int clients, Duration pause) {
        LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound")),
                URI.create("http://reviews:9080/"), clients, pause);
        load.start();
        return load;
    }

    /** Sends requests through the sidecar until {@code pod} has answered one: routing works. */
    static void awaitRouted(int outboundPort, PodBackend pod) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .proxy(java.net.ProxySelector.of(new InetSocketAddress("127.0.0.1", outboundPort))).build();
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(URI.create("http://reviews:9080/"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (pod.requests.get() == 0 && System.nanoTime() < deadline) {
            try {
                http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        assertThat(pod.requests.get()).as("requests routed to " + pod.name + " within 20 s").isPositive();
    }

    /**
     * Makes {@code change} and returns the ms until {@code to} takes every request for 500 ms and none of
     * {@code from} takes one.
     */
    private static long move(Runnable change, PodBackend to, PodBackend... from) throws InterruptedException {
        long start = System.nanoTime();
        change.run();
        long deadline = start + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long fromBefore = total(from);
            long toBefore = to.requests.get();
            long at = System.nanoTime();
            Thread.sleep(500);
            if (total(from) == fromBefore && to.requests.get() > toBefore) {
                return TimeUnit.NANOSECONDS.toMillis(at - start);
            }
        }
        throw new AssertionError("traffic did not move to " + to.name + " within 10 s");
    }

    private static long total(PodBackend... pods) {
        long total = 0;
        for (PodBackend pod : pods) {
            total += pod.requests.get();
        }
        return total;
    }
}
