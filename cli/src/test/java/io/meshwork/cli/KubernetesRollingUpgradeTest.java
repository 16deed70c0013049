package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshwork.cli.demo.LoadGenerator;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.xds.NodeIdentity;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A rolling upgrade of {@code reviews} from v1 to v2 through a real sidecar, with fabric8's mock API
 * server (CRUD mode) as the cluster and the Kubernetes-mode control plane: real HTTP backends stand
 * for the pods, a steady load runs through the frontend's sidecar, and the EndpointSlice moves as a
 * Deployment rollout moves it (a new pod ready; an old pod terminating, still serving; then gone, and
 * its process stops). No request may fail; each step's convergence time is printed.
 */
class KubernetesRollingUpgradeTest {

    private record Conditions(boolean ready, boolean terminating) {
    }

    private final Map<String, PodBackend> pods = new LinkedHashMap<>();
    private final Map<String, Conditions> listed = new LinkedHashMap<>();
    private KubernetesClient client;

    @Test
    void rollingFromV1ToV2CostsNoFailedRequest() throws Exception {
        KubernetesMockServer server = TestCluster.mockServer();
        client = server.createClient();
        List<String> report = new ArrayList<>();
        try {
            client.services().resource(new ServiceBuilder().withMetadata(meta("reviews")).withNewSpec()
                    .addToSelector("app", "reviews").addNewPort().withName("http").withPort(9080).endPort().endSpec()
                    .build()).create();
            addPod("reviews-v1-0", "v1");
            addPod("reviews-v1-1", "v1");
            listed.put("reviews-v1-0", new Conditions(true, false));
            listed.put("reviews-v1-1", new Conditions(true, false));
            writeSlices();

            try (ControlPlane controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                    server.createClient()).start();
                 SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                         new NodeIdentity("frontend-0", "default", "frontend", "frontend-0"), "127.0.0.1", 0, 0, 0, 0, 0,
                         Duration.ofSeconds(5), 1)).start()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (sidecar.listenerPort("outbound") < 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20); // the outbound listener is bound once the first config arrives
                }
                LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound")),
                        URI.create("http://reviews:9080/"), 4, Duration.ofMillis(5));
                awaitRequests(sidecar.listenerPort("outbound"), "reviews-v1-0", "reviews-v1-1");
                load.start();
                try {
                    for (int i = 0; i < 2; i++) {
                        String newPod = "reviews-v2-" + i;
                        String oldPod = "reviews-v1-" + i;
                        addPod(newPod, "v2");
                        long start = System.nanoTime();
                        listed.put(newPod, new Conditions(true, false));
                        writeSlices();
                        report.add(step(newPod + " ready: first request after", awaitFirstRequest(newPod, start)));
                        start = System.nanoTime();
                        listed.put(oldPod, new Conditions(false, true));
                        writeSlices();
                        report.add(step(oldPod + " terminating: last request after", awaitNoMoreRequests(oldPod, start)));
                        listed.remove(oldPod);
                        writeSlices();
                        Thread.sleep(300);
                        pods.remove(oldPod).close();
                    }
                    Thread.sleep(500);
                } finally {
                    load.close();
                }
                report.forEach(System.out::println);
                System.out.printf("rolling upgrade v1 -> v2: %d requests, %d failed%n", load.total(), load.failures());
                assertThat(load.total()).as("requests sent during the rollout").isGreaterThan(200);
                assertThat(load.failures()).as("failed requests during the rollout").isZero();
                assertThat(pods.get("reviews-v2-0").requests.get()).isPositive();
                assertThat(pods.get("reviews-v2-1").requests.get()).isPositive();
            }
        } finally {
            pods.values().forEach(PodBackend::close);
            client.close();
            server.destroy();
        }
    }

    private static String step(String what, long nanos) {
        return String.format("  %s %d ms", what, TimeUnit.NANOSECONDS.toMillis(nanos));
    }

    private void addPod(String name, String version) throws Exception {
        pods.put(name, new PodBackend(name, version));
        client.pods().resource(new PodBuilder().withMetadata(new ObjectMetaBuilder(meta(name))
                        .addToLabels("app", "reviews").addToLabels("version", version).build())
                .withNewSpec().withServiceAccountName("reviews").endSpec()
                .withNewStatus().withPodIP("127.0.0.1").withPhase("Running").endStatus().build()).create();
    }

    /** One slice per pod (each backend has its own port), as the EndpointSlice controller would keep them. */
    private void writeSlices() {
        for (Map.Entry<String, PodBackend> pod : pods.entrySet()) {
            Conditions conditions = listed.get(pod.getKey());
            String sliceName = "reviews-" + pod.getKey();
            if (conditions == null) {
                client.discovery().v1().endpointSlices().inNamespace("default").withName(sliceName).delete();
                continue;
            }
            Endpoint endpoint = new EndpointBuilder().withAddresses("127.0.0.1")
                    .withNewConditions().withReady(conditions.ready()).withServing(true)
                    .withTerminating(conditions.terminating()).endConditions()
                    .withNewTargetRef().withKind("Pod").withNamespace("default").withName(pod.getKey()).endTargetRef().build();
            client.discovery().v1().endpointSlices().resource(new EndpointSliceBuilder()
                    .withMetadata(new ObjectMetaBuilder(meta(sliceName)).addToLabels("kubernetes.io/service-name", "reviews").build())
                    .withAddressType("IPv4").addNewPort().withName("http").withPort(pod.getValue().port()).endPort()
                    .withEndpoints(endpoint).build()).createOr(r -> r.update());
        }
    }

    /** Sends requests through the sidecar until each named pod has answered one: routing works. */
    private void awaitRequests(int outboundPort, String... names) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .proxy(java.net.ProxySelector.of(new InetSocketAddress("127.0.0.1", outboundPort))).build();
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(URI.create("http://reviews:9080/"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (java.util.Arrays.stream(names).allMatch(n -> pods.get(n).requests.get() > 0)) {
                return;
            }
            try {
                http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("no requests reached " + String.join(", ", names) + " within 20 s");
    }

    private long awaitFirstRequest(String name, long since) throws InterruptedException {
        PodBackend pod = pods.get(name);
        long deadline = since + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (pod.requests.get() > 0) {
                return pod.lastRequestNanos.get() - since;
            }
            Thread.sleep(5);
        }
        throw new AssertionError(name + " got no request within 5 s of being ready");
    }

    /** Time from {@code since} to the last request the pod got, once it has had none for 500 ms. */
    private long awaitNoMoreRequests(String name, long since) throws InterruptedException {
        PodBackend pod = pods.get(name);
        long deadline = since + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (System.nanoTime() - Math.max(since, pod.lastRequestNanos.get()) > TimeUnit.MILLISECONDS.toNanos(500)) {
                return Math.max(0, pod.lastRequestNanos.get() - since);
            }
            Thread.sleep(5);
        }
        throw new AssertionError(name + " still got requests 5 s after it began terminating");
    }

    private static io.fabric8.kubernetes.api.model.ObjectMeta meta(String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace("default").build();
    }
}
