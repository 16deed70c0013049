package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwork.cli.demo.LoadGenerator;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.xds.NodeIdentity;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Locality-aware failover across two clusters through a real sidecar under load: west (this control
 * plane's cluster, zone eu-a) and east (a remote cluster, us-a) both run reviews; the frontend in west
 * sends everything to west's pod while it is ready, all of it to east's when west's turns not ready, and
 * comes back when it is ready again; a canary that runs only in east takes its TrafficSplit share of west's
 * requests. fabric8's mock API servers (CRUD mode) are the clusters; real HTTP servers stand for the pods.
 * The failed-request counts, each move's time and the share are printed.
 */
class MultiClusterTrafficTest {

    @Test
    void westsClientFailsOverToEastWhenItsZoneGoesAndComesBack() throws Exception {
        KubernetesMockServer west = mock();
        KubernetesMockServer east = mock();
        KubernetesClient w = west.createClient();
        KubernetesClient e = east.createClient();
        try (PodBackend westPod = new PodBackend("reviews-west-0", "v1"); PodBackend eastPod = new PodBackend("reviews-east-0", "v1")) {
            node(w, "node-w", "eu", "eu-a");
            node(e, "node-e", "us", "us-a");
            for (KubernetesClient c : List.of(w, e)) {
                service(c, "reviews", java.util.Map.of("app", "reviews"));
            }
            pod(w, "frontend-0", "node-w", "frontend");
            pod(w, "reviews-west-0", "node-w", "reviews");
            pod(e, "reviews-east-0", "node-e", "reviews");
            slice(w, "reviews-w", "reviews-west-0", westPod.port(), true);
            slice(e, "reviews-e", "reviews-east-0", eastPod.port(), true);

            try (WestMesh mesh = WestMesh.start(west, east)) {
                SidecarProxy sidecar = mesh.sidecar();
                awaitRouted(sidecar.listenerPort("outbound"), westPod);
                LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound")),
                        URI.create("http://reviews:9080/"), 4, Duration.ofMillis(5));
                load.start();
                try {
                    Thread.sleep(500);
                    long eastBefore = eastPod.requests.get();
                    long westBefore = westPod.requests.get();
                    Thread.sleep(1000);
                    assertThat(eastPod.requests.get() - eastBefore).as("east's pod while west's is healthy").isZero();
                    assertThat(westPod.requests.get() - westBefore).as("west's pod while healthy").isPositive();

                    long start = System.nanoTime();
                    slice(w, "reviews-w", "reviews-west-0", westPod.port(), false); // west's endpoint not ready
                    long moved = awaitOnlyTo(eastPod, westPod, start);
                    System.out.printf("west's zone not ready: all traffic on east after %d ms%n", moved);

                    start = System.nanoTime();
                    slice(w, "reviews-w", "reviews-west-0", westPod.port(), true);
                    long back = awaitOnlyTo(westPod, eastPod, start);
                    System.out.printf("west's zone ready again: all traffic back on west after %d ms%n", back);
                    Thread.sleep(300);
                } finally {
                    load.close();
                }
                System.out.printf("failover west -> east -> west: %d requests, %d failed%n", load.total(), load.failures());
                assertThat(load.total()).as("requests sent").isGreaterThan(200);
                assertThat(load.failures()).as("failed requests across both moves").isZero();
            }
        } finally {
            w.close();
            e.close();
            west.destroy();
            east.destroy();
        }
    }

    @Test
    void aCanaryLivingOnlyInEastGetsItsShareOfWestsClients() throws Exception {
        KubernetesMockServer west = mock();
        KubernetesMockServer east = mock();
        KubernetesClient w = west.createClient();
        KubernetesClient e = east.createClient();
        try (PodBackend v1 = new PodBackend("reviews-v1-0", "v1"); PodBackend v2 = new PodBackend("reviews-v2-0", "v2")) {
            node(w, "node-w", "eu", "eu-a");
            node(e, "node-e", "us", "us-a");
            service(w, "reviews", java.util.Map.of("app", "reviews"));
            service(w, "reviews-v1", java.util.Map.of("app", "reviews", "version", "v1"));
            service(e, "reviews-v2", java.util.Map.of("app", "reviews", "version", "v2")); // only east has v2
            pod(w, "frontend-0", "node-w", "frontend");
            pod(w, "reviews-v1-0", "node-w", "reviews");
            pod(e, "reviews-v2-0", "node-e", "reviews");
            slice(w, "reviews-a", "reviews", "reviews-v1-0", v1.port(), true);
            slice(w, "reviews-v1-a", "reviews-v1", "reviews-v1-0", v1.port(), true);
            slice(e, "reviews-v2-a", "reviews-v2", "reviews-v2-0", v2.port(), true);
            java.util.Map<String, Object> spec = new java.util.LinkedHashMap<>();
            spec.put("service", "reviews");
            spec.put("backends", List.of(java.util.Map.of("service", "reviews-v1", "weight", 90),
                    java.util.Map.of("service", "reviews-v2", "weight", 10)));
            w.genericKubernetesResources(io.meshwork.controlplane.source.kubernetes.KubernetesSource.TRAFFIC_SPLIT.context())
                    .resource(new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                            .withApiVersion("split.smi-spec.io/v1alpha4").withKind("TrafficSplit").withMetadata(meta("reviews"))
                            .addToAdditionalProperties("spec", spec).build()).create();

            try (WestMesh mesh = WestMesh.start(west, east)) {
                SidecarProxy sidecar = mesh.sidecar();
                awaitRouted(sidecar.listenerPort("outbound"), v2);
                long v1Before = v1.requests.get();
                long v2Before = v2.requests.get();
                int requests = 2000;
                LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound")),
                        URI.create("http://reviews:9080/"), 8, Duration.ZERO);
                load.start();
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
                assertThat(share).as("east's canary share of west's traffic, percent").isCloseTo(10.0,
                        org.assertj.core.data.Offset.offset(3.0));
            }
        } finally {
            w.close();
            e.close();
            west.destroy();
            east.destroy();
        }
    }

    /** West's Kubernetes-mode control plane reading east too, and the real sidecar of west's frontend-0, configured. */
    private record WestMesh(ControlPlane controlPlane, SidecarProxy sidecar) implements AutoCloseable {

        static WestMesh start(KubernetesMockServer west, KubernetesMockServer east) throws Exception {
            RemoteClusters remotes = new RemoteClusters("west", RemoteClusters.DEFAULT_STALE_AFTER);
            remotes.add("east", east.createClient(), "test");
            ControlPlane controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                    west.createClient(), new KubernetesMode.LeaderElection("meshwork-system", "meshwork-control-plane",
                            "cp-west", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2)), List.of(),
                    "west", remotes).start();
            SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                    new NodeIdentity("frontend-0", "default", "frontend", "frontend-0"), "127.0.0.1", 0, 0, 0, 0, 0,
                    Duration.ofSeconds(5), 1)).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (sidecar.listenerPort("outbound") < 0 && System.nanoTime() < deadline) {
                Thread.sleep(20); // the outbound listener is bound once the first config arrives
            }
            return new WestMesh(controlPlane, sidecar);
        }

        @Override
        public void close() throws Exception {
            try (controlPlane) {
                sidecar.close();
            }
        }
    }

    private static void service(KubernetesClient client, String name, java.util.Map<String, String> selector) {
        client.services().resource(new ServiceBuilder().withMetadata(meta(name)).withNewSpec().withSelector(selector)
                .addNewPort().withName("http").withPort(9080).endPort().endSpec().build()).create();
    }

    /** Sends requests through the sidecar until {@code pod} has answered one: routing works. */
    private static void awaitRouted(int outboundPort, PodBackend pod) throws Exception {
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
        assertThat(pod.requests.get()).as("requests routed to west's pod within 20 s").isPositive();
    }

    /** Ms from {@code start} until {@code to} takes every request for 500 ms and {@code from} none. */
    private static long awaitOnlyTo(PodBackend to, PodBackend from, long start) throws InterruptedException {
        long deadline = start + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long fromBefore = from.requests.get();
            long toBefore = to.requests.get();
            long at = System.nanoTime();
            Thread.sleep(500);
            if (from.requests.get() == fromBefore && to.requests.get() > toBefore) {
                return TimeUnit.NANOSECONDS.toMillis(at - start);
            }
        }
        throw new AssertionError("traffic did not move within 10 s");
    }

    private static void node(KubernetesClient client, String name, String region, String zone) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .addToLabels("topology.kubernetes.io/region", region).addToLabels("topology.kubernetes.io/zone", zone)
                .endMetadata().build()).create();
    }

    private static void pod(KubernetesClient client, String name, String node, String app) {
        client.pods().resource(new PodBuilder().withMetadata(new ObjectMetaBuilder(meta(name)).addToLabels("app", app).build())
                .withNewSpec().withNodeName(node).withServiceAccountName(app).endSpec()
                .withNewStatus().withPodIP("127.0.0.1").withPhase("Running").endStatus().build()).create();
    }

    private static void slice(KubernetesClient client, String name, String pod, int port, boolean ready) {
        slice(client, name, "reviews", pod, port, ready);
    }

    private static void slice(KubernetesClient client, String name, String service, String pod, int port, boolean ready) {
        client.discovery().v1().endpointSlices().resource(new EndpointSliceBuilder()
                .withMetadata(new ObjectMetaBuilder(meta(name)).addToLabels("kubernetes.io/service-name", service).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(port).endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(ready).withServing(true)
                .withTerminating(!ready).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace("default").withName(pod).endTargetRef().endEndpoint()
                .build()).createOr(r -> r.update());
    }

    private static io.fabric8.kubernetes.api.model.ObjectMeta meta(String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace("default").build();
    }

    private static KubernetesMockServer mock() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        return server;
    }
}
