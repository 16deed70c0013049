package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh install --gateway} as a user runs it: the printed manifests, applied with fabric8 to the mock API server
 * in CRUD mode (mesh install prints, kubectl applies), create the gateway's objects as printed; and its flags' errors.
 */
class InstallGatewayTest {

    @TempDir
    Path dir;

    @Test
    void thePrintedManifestsApplyAndCreateEachGatewaysObjects() throws Exception {
        Path gatewayFile = Files.writeString(dir.resolve("gateway.yaml"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: internal, namespace: shop}
                spec:
                  gatewayClassName: meshwork
                  listeners:
                  - {name: http, port: 8080, protocol: HTTP}
                  - {name: https, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: internal-cert}]}}
                """);
        CliRun run = CliRun.run("install", "--gateway", "web", "--gateway", "admin", "--gateway-namespace", "edge",
                "--gateway-file", gatewayFile.toString(), "--gateway-service-type", "NodePort");
        assertThat(run.exitCode()).as(run.err()).isZero();

        KubernetesMockServer server = TestCluster.mockServer();
        try (KubernetesClient client = server.createClient()) {
            List<HasMetadata> objects = client.load(new ByteArrayInputStream(run.out().getBytes(StandardCharsets.UTF_8)))
                    .items();
            for (HasMetadata object : objects) {
                client.resource(object).create();
            }

            for (String[] gateway : new String[][] {{"edge", "web", "80,443"}, {"edge", "admin", "80,443"},
                    {"shop", "internal", "8080,8443"}}) {
                Deployment deployment = client.apps().deployments().inNamespace(gateway[0])
                        .withName(gateway[1] + "-meshwork").get();
                Service service = client.services().inNamespace(gateway[0]).withName(gateway[1] + "-meshwork").get();
                assertThat(deployment).as(gateway[1]).isNotNull();
                assertThat(service).as(gateway[1]).isNotNull();
                assertThat(client.serviceAccounts().inNamespace(gateway[0]).withName(gateway[1] + "-meshwork").get())
                        .isNotNull();
                assertThat(service.getSpec().getType()).isEqualTo("NodePort");
                assertThat(String.join(",", service.getSpec().getPorts().stream().map(p -> "" + p.getPort()).toList()))
                        .isEqualTo(gateway[2]);
                assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                        .containsAllEntriesOf(service.getSpec().getSelector());
                var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
                assertThat(container.getArgs()).startsWith("gateway", "--xds",
                        "meshwork-control-plane.meshwork-system.svc:15012", "--name", gateway[1], "--namespace",
                        gateway[0], "--service-account", gateway[1] + "-meshwork");
            }
            for (String namespace : List.of("edge", "shop")) {
                assertThat(client.rbac().roles().inNamespace(namespace).withName("meshwork-control-plane-gateway-secrets")
                        .get().getRules().get(0).getResources()).containsExactly("secrets");
                assertThat(client.rbac().roleBindings().inNamespace(namespace)
                        .withName("meshwork-control-plane-gateway-secrets").get().getSubjects().get(0).getName())
                        .isEqualTo("meshwork-control-plane");
            }
            assertThat(client.rbac().clusterRoles().withName("meshwork-control-plane").get().getRules())
                    .flatExtracting(r -> r.getResources()).doesNotContain("secrets");
        } finally {
            server.destroy();
        }
    }

    @Test
    void gatewayFlagsSayWhatIsWrongInOneLine() {
        assertThat(CliRun.run("install", "--gateway-port", "80").err())
                .contains("--gateway-port: only with --gateway (a --gateway-file Gateway's ports are its listeners')");
        assertThat(CliRun.run("install", "--gateway", "web", "--gateway-port", "80,https").err())
                .contains("--gateway-port \"https\" is not a port (1-65535)");
        assertThat(CliRun.run("install", "--gateway", "web", "--gateway-service-type", "External").err())
                .contains("--gateway-service-type \"External\" is not one of LoadBalancer, NodePort, ClusterIP");
        assertThat(CliRun.run("install", "--gateway-namespace", "edge").err())
                .contains("--gateway-namespace and --gateway-service-type: only with --gateway or --gateway-file");
        CliRun run = CliRun.run("install", "--gateway", "Web");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--gateway \"Web\" is not a Gateway name");
    }
}
