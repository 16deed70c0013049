package io.meshwork.cli;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * One Kubernetes cluster of a multi-cluster test: fabric8's mock API server in CRUD mode on loopback, with the
 * few objects those tests make (nodes with a region and zone, Services on port 9080 {@code http}, pods, and the
 * EndpointSlices that list them), all in namespace {@code default}.
 */
final class TestCluster implements AutoCloseable {

    final KubernetesMockServer server;
    final KubernetesClient client;

    TestCluster() {
        server = mockServer();
        client = server.createClient();
    }

    /** A mock API server in CRUD mode on loopback, started. */
    static KubernetesMockServer mockServer() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        return server;
    }

    /** Another client of this cluster (a control plane closes the client it is given). */
    KubernetesClient newClient() {
        return server.createClient();
    }

    TestCluster node(String name, String region, String zone) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .addToLabels("topology.kubernetes.io/region", region).addToLabels("topology.kubernetes.io/zone", zone)
                .endMetadata().build()).create();
        return this;
    }

    TestCluster service(String name, Map<String, String> selector) {
        client.services().resource(new ServiceBuilder().withMetadata(meta(name)).withNewSpec().withSelector(selector)
                .addNewPort().withName("http").withPort(9080).endPort().endSpec().build()).create();
        return this;
    }

    /** A running pod at 127.0.0.1 with label {@code app} and service account {@code app}, without a sidecar. */
    TestCluster pod(String name, String node, String app) {
        return pod(name, node, app, "127.0.0.1", false);
    }

    /** A running pod at {@code ip}; {@code meshed}: the injector gave it a sidecar ({@code meshwork.io/status}). */
    TestCluster pod(String name, String node, String app, String ip, boolean meshed) {
        ObjectMetaBuilder metadata = new ObjectMetaBuilder(meta(name)).addToLabels("app", app);
        if (meshed) {
            metadata.addToAnnotations("meshwork.io/status", "{\"containers\":[\"mesh-proxy\"]}");
        }
        client.pods().resource(new PodBuilder().withMetadata(metadata.build())
                .withNewSpec().withNodeName(node).withServiceAccountName(app).endSpec()
                .withNewStatus().withPodIP(ip).withPhase("Running").endStatus().build()).create();
        return this;
    }

    /** Creates or replaces slice {@code name} of {@code service}, listing {@code pod} at 127.0.0.1:{@code port}. */
    TestCluster slice(String name, String service, String pod, int port, boolean ready) {
        return slice(name, service, pod, "127.0.0.1", port, ready);
    }

    /** Creates or replaces slice {@code name} of {@code service}, listing {@code pod} at {@code ip:port}. */
    TestCluster slice(String name, String service, String pod, String ip, int port, boolean ready) {
        client.discovery().v1().endpointSlices().resource(new EndpointSliceBuilder()
                .withMetadata(new ObjectMetaBuilder(meta(name)).addToLabels("kubernetes.io/service-name", service).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(port).endPort()
                .addNewEndpoint().withAddresses(ip).withNewConditions().withReady(ready).withServing(true)
                .withTerminating(!ready).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace("default").withName(pod).endTargetRef().endEndpoint()
                .build()).createOr(r -> r.update());
        return this;
    }

    static ObjectMeta meta(String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace("default").build();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
