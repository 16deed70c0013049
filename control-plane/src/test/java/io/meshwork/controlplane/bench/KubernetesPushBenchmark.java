package io.meshwork.controlplane.bench;

import io.envoyproxy.controlplane.cache.Resources;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwork.controlplane.source.kubernetes.MockApiServer;
import io.meshwork.controlplane.xds.AdsTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Push benchmark from an EndpointSlice change in Kubernetes mode (a harness, not a test): fabric8's
 * Kubernetes mock server in CRUD mode, in this JVM, holds S Services in one namespace, each with P
 * meshed Pods (spread over Nodes with topology labels) and one EndpointSlice listing them; the real
 * Kubernetes-mode control plane ({@code KubernetesMode}: informers, 100 ms debounce, conversion,
 * translator, validator, ADS server) runs in a child JVM on it, through a kubeconfig file, so that
 * its heap is measured without the API server or the clients; N simulated sidecars of distinct pods
 * connect. Each round updates one EndpointSlice of {@code svc-0005} through the API server and
 * measures from just before that write until all N sidecars have ACKed a new EDS version, counting
 * the responses of every type they got meanwhile (an endpoint change should send EDS only).
 *
 * <p>With {@code --clusters C} above 1 the mesh spans C clusters, each its own mock API server holding the same
 * S Services (so each is one mesh service with C clusters' endpoints) and P Pods per Service of its own (IPs
 * {@code 1<c>.x.y.z}, nodes in region {@code region-<c>}); the control plane is {@code cluster-0}'s and reads
 * the others as remote clusters; the sidecars are {@code cluster-0}'s pods, and the rounds change the slice in
 * the last cluster, a remote one.
 *
 * <p>Usage: {@code KubernetesPushBenchmark [--clients 100,1000] [--services 500] [--pods-per-service 10]
 * [--nodes 50] [--clusters 1] [--rounds 5] [--warmup 1] [--change not-ready|pod-added] [--control-plane-xmx 4g]
 * [--round-timeout 300]}. {@code not-ready} flips the first endpoint of the slice between ready and
 * not ready (as the EndpointSlice controller does when its Pod's readiness changes); {@code pod-added}
 * creates a Pod with its IP (off the clock, then waits 3 s), then adds it to the slice, ready.
 */
public final class KubernetesPushBenchmark {

    private static final String NAMESPACE = "bench";
    private static final int PORT = 8080;
    private static final int CHANGED_SERVICE = 5;
    /** After creating a Pod of {@code pod-added}, before the timed slice update: the control plane's rebuild for it is done. */
    private static final Duration POD_SETTLE = Duration.ofSeconds(3);
    /** Held, as java.util.logging keeps loggers weakly: the mock server logs every request at INFO otherwise. */
    private static final Logger MOCK_SERVER_LOG = Logger.getLogger(MockWebServer.class.getName());

    /** One endpoint of a slice: the Pod, its IP and node (index), and whether it takes new requests. */
    private record Member(String pod, String ip, int node, boolean ready) {
    }

    /** The slice that the rounds change: its endpoints and the resourceVersion the next update replaces. */
    private static final class ChangedSlice {
        final List<Member> members = new ArrayList<>();
        String resourceVersion;
    }

    public static void main(String[] args) throws Exception {
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
        Map<String, String> arguments = BenchFigures.options(args);
        PushRounds.Options options = PushRounds.Options.parse(arguments, List.of("not-ready", "pod-added"));
        int services = Integer.parseInt(arguments.getOrDefault("services", "500"));
        int podsPerService = Integer.parseInt(arguments.getOrDefault("pods-per-service", "10"));
        int nodes = Integer.parseInt(arguments.getOrDefault("nodes", "50"));
        int clusters = Integer.parseInt(arguments.getOrDefault("clusters", "1"));
        if (services <= CHANGED_SERVICE) {
            throw new IllegalArgumentException("--services " + services + ": the changed service is svc-000" + CHANGED_SERVICE);
        }
        System.out.printf("kubernetes push benchmark: %d cluster(s), each %d services x %d pods (meshed) on %d nodes, "
                + "one EndpointSlice each, %s%n", clusters, services, podsPerService, nodes, options.describe());
        for (int n : options.clients()) {
            if (n > services * podsPerService) {
                throw new IllegalArgumentException("--clients " + n + ": only " + services * podsPerService + " pods");
            }
            run(n, clusters, services, podsPerService, nodes, options);
        }
    }

    private static void run(int clients, int clusterCount, int services, int podsPerService, int nodeCount,
                            PushRounds.Options options) throws Exception {
        List<MockApiServer> apis = new ArrayList<>();
        List<Path> kubeconfigs = new ArrayList<>();
        try {
            ChangedSlice changed = null;
            for (int c = 0; c < clusterCount; c++) {
                MockApiServer api = new MockApiServer();
                apis.add(api);
                long fillStart = System.nanoTime();
                changed = fill(api.client(), c, services, podsPerService, nodeCount);
                System.out.printf("N=%d: API server of cluster-%d filled with %d services, %d pods, %d EndpointSlices, "
                        + "%d nodes in %.1f s%n", clients, c, services, services * podsPerService, services, nodeCount,
                        (System.nanoTime() - fillStart) / 1e9);
                Path kubeconfig = Files.createTempFile("meshwork-k8s-push", ".kubeconfig");
                kubeconfigs.add(kubeconfig);
                Files.writeString(kubeconfig, kubeconfig(api.client().getMasterUrl().toString()));
            }
            // The rounds change the last cluster's slice: a remote cluster's when there are several.
            int changedCluster = clusterCount - 1;
            KubernetesClient client = apis.get(changedCluster).client();
            ChangedSlice slices = changed;
            Map<String, Path> remotes = new java.util.LinkedHashMap<>();
            for (int c = 1; c < clusterCount; c++) {
                remotes.put("cluster-" + c, kubeconfigs.get(c));
            }

            int warmup = options.warmup();
            try (ChildControlPlane controlPlane = ChildControlPlane.kubernetes(kubeconfigs.get(0), remotes, options.xmx());
                 PushRounds.Connected connected = PushRounds.connect(controlPlane, clients, services,
                         (s, p) -> AdsTestClient.sidecarNode(podName(s, p), NAMESPACE, podIp(0, s, p)))) {
                System.out.printf("N=%d: control plane listed the cluster(s) and served in %d ms; %s%n", clients,
                        controlPlane.startMillis, connected.describe());
                PushRounds.Summary summary = PushRounds.run(controlPlane, connected.sidecars(),
                        Resources.V3.ENDPOINT_TYPE_URL, "the slice update in cluster-" + changedCluster, warmup,
                        options.rounds(), options.roundTimeout(), round -> {
                            int k = round + warmup;
                            List<Member> members = slices.members;
                            if (options.change().equals("not-ready")) {
                                Member first = members.get(0);
                                members.set(0, new Member(first.pod(), first.ip(), first.node(), k % 2 != 0));
                            } else {
                                Member added = new Member(serviceName(CHANGED_SERVICE) + "-added-" + k,
                                        "10.200." + (k / 250) + "." + (k % 250 + 1), k % nodeCount, true);
                                client.pods().resource(pod(CHANGED_SERVICE, added)).create();
                                Thread.sleep(POD_SETTLE.toMillis());
                                members.add(added);
                            }
                            EndpointSlice slice = slice(changedCluster, CHANGED_SERVICE, members);
                            // With its resourceVersion, so that the update is one PUT (fabric8 GETs it otherwise).
                            slice.getMetadata().setResourceVersion(slices.resourceVersion);
                            return () -> slices.resourceVersion =
                                    client.resource(slice).update().getMetadata().getResourceVersion();
                        });
                System.out.printf("N=%d, %d cluster(s), change %s: %s; control plane heap after GC %d MB after the rounds%n",
                        clients, clusterCount, options.change(), summary.describe(), controlPlane.heap() >> 20);
            }
        } finally {
            for (MockApiServer api : apis) {
                api.close();
            }
            for (Path kubeconfig : kubeconfigs) {
                Files.deleteIfExists(kubeconfig);
            }
        }
    }

    /**
     * Creates cluster {@code c}'s Namespace, Nodes, Services, Pods and EndpointSlices; returns the slice of the
     * changed service.
     */
    private static ChangedSlice fill(KubernetesClient client, int c, int services, int podsPerService, int nodes) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE)
                .addToLabels("mesh-injection", "enabled").endMetadata().build()).create();
        for (int n = 0; n < nodes; n++) {
            client.nodes().resource(new NodeBuilder().withNewMetadata().withName(nodeName(n))
                    .addToLabels("topology.kubernetes.io/region", region(c))
                    .addToLabels("topology.kubernetes.io/zone", zone(c, n)).endMetadata().build()).create();
        }
        ChangedSlice changed = new ChangedSlice();
        for (int s = 0; s < services; s++) {
            String name = serviceName(s);
            client.services().resource(new ServiceBuilder()
                    .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).build())
                    .withNewSpec().withSelector(Map.of("app", name))
                    .addNewPort().withName("http").withPort(PORT).withAppProtocol("http").withNewTargetPort(PORT).endPort()
                    .endSpec().build()).create();
            List<Member> members = new ArrayList<>();
            for (int p = 0; p < podsPerService; p++) {
                Member member = new Member(podName(s, p), podIp(c, s, p), (s * podsPerService + p) % nodes, true);
                client.pods().resource(pod(s, member)).create();
                members.add(member);
            }
            EndpointSlice created = client.resource(slice(c, s, members)).create();
            if (s == CHANGED_SERVICE) {
                changed.members.addAll(members);
                changed.resourceVersion = created.getMetadata().getResourceVersion();
            }
        }
        return changed;
    }

    private static Pod pod(int s, Member member) {
        return new PodBuilder().withMetadata(new ObjectMetaBuilder().withName(member.pod()).withNamespace(NAMESPACE)
                        .addToLabels("app", serviceName(s)).addToLabels("version", "v1")
                        .addToAnnotations("meshwork.io/status", "{\"containers\":[\"mesh-proxy\"]}").build())
                .withNewSpec().withServiceAccountName(serviceName(s)).withNodeName(nodeName(member.node())).endSpec()
                .withNewStatus().withPodIP(member.ip()).withPhase("Running").endStatus().build();
    }

    /** The one EndpointSlice of service {@code s} in cluster {@code c}, as the EndpointSlice controller writes it. */
    private static EndpointSlice slice(int c, int s, List<Member> members) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(serviceName(s) + "-slice").withNamespace(NAMESPACE)
                        .addToLabels("kubernetes.io/service-name", serviceName(s))
                        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io").build())
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(PORT).withProtocol("TCP").withAppProtocol("http").endPort();
        for (Member member : members) {
            slice.addNewEndpoint().withAddresses(member.ip())
                    .withNewConditions().withReady(member.ready()).withServing(member.ready()).withTerminating(false)
                    .endConditions()
                    .withNewTargetRef().withKind("Pod").withName(member.pod()).withNamespace(NAMESPACE).endTargetRef()
                    .withNodeName(nodeName(member.node())).withZone(zone(c, member.node()))
                    .endEndpoint();
        }
        return slice.build();
    }

    private static String kubeconfig(String server) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster: {server: "%s"}
                users:
                - name: bench
                  user: {token: bench}
                contexts:
                - name: mock
                  context: {cluster: mock, user: bench, namespace: %s}
                current-context: mock
                """.formatted(server, NAMESPACE);
    }

    private static String serviceName(int s) {
        return "svc-%04d".formatted(s);
    }

    private static String podName(int s, int p) {
        return serviceName(s) + "-" + p;
    }

    private static String podIp(int c, int s, int p) {
        return (10 + c) + "." + (s / 250) + "." + (s % 250) + "." + (p + 1);
    }

    private static String nodeName(int n) {
        return "node-%03d".formatted(n);
    }

    private static String region(int c) {
        return c == 0 ? "bench-region" : "bench-region-" + c;
    }

    private static String zone(int c, int node) {
        return region(c) + "-" + (char) ('a' + node % 3);
    }
}
