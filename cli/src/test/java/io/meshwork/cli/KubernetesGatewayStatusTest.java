package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Gateway's {@code Programmed} condition in Kubernetes mode follows its real {@code mesh gateway}: Pending while none
 * is connected, True once one has connected to the control plane's xDS server and ACKed the Gateway's config, Pending
 * again when it leaves. The API server is fabric8's mock in CRUD mode.
 */
class KubernetesGatewayStatusTest {

    @Test
    void programmedIsPendingWhileNoMeshGatewayIsConnected() throws Exception {
        KubernetesMockServer server = TestCluster.mockServer();
        int port = freePort();
        try (KubernetesClient client = server.createClient()) {
            client.genericKubernetesResources(new ResourceDefinitionContext.Builder()
                    .withGroup("gateway.networking.k8s.io").withVersion("v1").withKind("GatewayClass")
                    .withPlural("gatewayclasses").withNamespaced(false).build()).resource(object("""
                            apiVersion: gateway.networking.k8s.io/v1
                            kind: GatewayClass
                            metadata: {name: meshwork}
                            spec: {controllerName: meshwork.io/gateway-controller}
                            """)).create();
            gateways(client).resource(object("""
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: Gateway
                    metadata: {name: web, namespace: default, generation: 1}
                    spec:
                      gatewayClassName: meshwork
                      listeners: [{name: http, port: %d, protocol: HTTP}]
                    """.formatted(port))).create();
            try (ControlPlane controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                    server.createClient(), new KubernetesMode.LeaderElection("meshwork-system", "meshwork-control-plane",
                            "cp-0", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2))).start()) {
                ClusterMesh.await("Programmed False Pending before any gateway", () -> programmed(client).equals("False Pending"));
                assertThat(message(client)).isEqualTo("no mesh gateway of node group gateway/default/web is connected "
                        + "to the control plane");

                // A gateway connecting to the plaintext port is refused in a cluster (PlaintextGatewayRefusal): the
                // Programmed side of a connected gateway is KubernetesGatewayTlsTest's, on the CA's port.
            }
        } finally {
            server.destroy();
        }
    }

    private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> gateways(KubernetesClient client) {
        return client.genericKubernetesResources(KubernetesSource.GATEWAY.context()).inNamespace("default");
    }

    private static GenericKubernetesResource object(String yaml) {
        return Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(KubernetesClient client) {
        Object status = gateways(client).withName("web").get().getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static Map<String, Object> programmedCondition(List<Map<String, Object>> conditions) {
        return conditions.stream().filter(c -> "Programmed".equals(c.get("type"))).findFirst().orElse(Map.of());
    }

    static String programmed(KubernetesClient client) {
        Map<String, Object> condition = programmedCondition(list(status(client).get("conditions")));
        return condition.get("status") + " " + condition.get("reason");
    }

    static String message(KubernetesClient client) {
        return String.valueOf(programmedCondition(list(status(client).get("conditions"))).get("message"));
    }

    static String listenerProgrammed(KubernetesClient client) {
        Map<String, Object> condition = programmedCondition(list(list(status(client).get("listeners")).get(0)
                .get("conditions")));
        return condition.get("status") + " " + condition.get("reason");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
