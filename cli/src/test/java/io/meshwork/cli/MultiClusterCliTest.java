package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joining two clusters as a user would: {@code mesh install --cluster east --multicluster} applied in east, {@code
 * mesh create-remote-secret --name east} against it, and that Secret applied in west, whose control plane then
 * serves east's endpoints. fabric8's mock API servers (CRUD mode) are the clusters; a small informer in the test
 * stands for east's token controller, filling the reader's token Secret as the API server would.
 */
class MultiClusterCliTest {

    @TempDir
    Path dir;

    private KubernetesMockServer west;
    private KubernetesMockServer east;
    private KubernetesClient westClient;
    private KubernetesClient eastClient;

    @BeforeEach
    void clusters() {
        west = TestCluster.mockServer();
        east = TestCluster.mockServer();
        westClient = west.createClient();
        eastClient = east.createClient();
    }

    @AfterEach
    void stop() {
        westClient.close();
        eastClient.close();
        west.destroy();
        east.destroy();
    }

    @Test
    void installCreateRemoteSecretAndApplyItElsewhereJoinTheClusters() throws Exception {
        CliRun install = CliRun.run("install", "--cluster", "east", "--multicluster");
        assertThat(install.exitCode()).as(install.err()).isZero();
        List<HasMetadata> objects = eastClient.load(new ByteArrayInputStream(install.out().getBytes(StandardCharsets.UTF_8)))
                .items();
        objects.forEach(o -> eastClient.resource(o).create());
        Deployment controlPlane = objects.stream().filter(o -> o instanceof Deployment d
                && d.getMetadata().getName().equals("meshwork-control-plane")).map(Deployment.class::cast).findFirst().orElseThrow();
        assertThat(controlPlane.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .containsSubsequence("--cluster", "east").contains("--multicluster");
        assertThat(objects).filteredOn(o -> o instanceof Role).singleElement().satisfies(role -> assertThat(((Role) role)
                .getRules()).anySatisfy(r -> assertThat(r.getVerbs()).containsExactly("list", "watch")));

        // east's pods: the canary lives only there
        eastClient.services().resource(new ServiceBuilder().withNewMetadata().withName("reviews-v2").withNamespace("default")
                .endMetadata().withNewSpec().addToSelector("app", "reviews").addNewPort().withName("http").withPort(9080)
                .endPort().endSpec().build()).create();
        eastClient.pods().resource(new PodBuilder().withMetadata(new ObjectMetaBuilder().withName("reviews-v2-0")
                .withNamespace("default").addToLabels("app", "reviews").build()).withNewStatus().withPodIP("10.2.0.2")
                .withPhase("Running").endStatus().build()).create();
        eastClient.discovery().v1().endpointSlices().resource(new EndpointSliceBuilder().withMetadata(new ObjectMetaBuilder()
                .withName("reviews-v2-a").withNamespace("default").addToLabels("kubernetes.io/service-name", "reviews-v2").build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(9080).endPort().addNewEndpoint()
                .withAddresses("10.2.0.2").withNewTargetRef().withKind("Pod").withName("reviews-v2-0")
                .withNamespace("default").endTargetRef().endEndpoint().build()).create();

        CliRun secretRun;
        try (SharedIndexInformer<Secret> tokenController = fillTokens(eastClient)) {
            secretRun = CliRun.run("create-remote-secret", "--kubeconfig", kubeconfig(east).toString(), "--name", "east");
        }
        assertThat(secretRun.exitCode()).as(secretRun.err()).isZero();
        Secret secret = (Secret) westClient.load(new ByteArrayInputStream(secretRun.out().getBytes(StandardCharsets.UTF_8)))
                .items().get(0);
        assertThat(secret.getMetadata().getLabels()).containsEntry(RemoteClusters.SECRET_LABEL, "true");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry(RemoteClusters.NAME_ANNOTATION, "east");
        String kubeconfig = new String(Base64.getDecoder().decode(secret.getData().get(RemoteClusters.SECRET_KEY)),
                StandardCharsets.UTF_8);
        assertThat(kubeconfig).contains("token: east-reader-token").contains("certificate-authority-data: ")
                .contains("server: http://127.0.0.1:" + east.getPort());

        AtomicReference<MeshSnapshot> latest = new AtomicReference<>();
        RemoteClusters remotes = new RemoteClusters("west", RemoteClusters.DEFAULT_STALE_AFTER);
        try (KubernetesSource source = new KubernetesSource(west.createClient()).withClusters("west", remotes)) {
            source.start(latest::set, () -> { });
            remotes.watchSecrets(west.createClient(), "meshwork-system");
            westClient.secrets().inNamespace("meshwork-system").resource(secret).create();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && (latest.get() == null
                    || latest.get().endpointsOf(ObjectRef.of("default", "reviews-v2")).isEmpty())) {
                Thread.sleep(50);
            }
        }
        assertThat(latest.get().endpointsOf(ObjectRef.of("default", "reviews-v2"))).singleElement()
                .satisfies(e -> assertThat(e.workload().cluster()).isEqualTo("east"));

        CliRun noReader = CliRun.run("create-remote-secret", "--kubeconfig", kubeconfig(west).toString(), "--name", "west");
        assertThat(noReader.err()).contains("no ServiceAccount meshwork-system/meshwork-reader")
                .contains("mesh install --cluster west --multicluster");
        assertThat(CliRun.run("install", "--multicluster").err()).contains("--multicluster needs --cluster NAME");
    }

    @Test
    void installWithAClustersIntermediateSignsWithItAndPublishesTheSharedRoot() throws Exception {
        Path root = dir.resolve("root");
        Path eastCa = dir.resolve("east-ca");
        assertThat(CliRun.run("certs", "root", "--out", root.toString()).exitCode()).isZero();
        assertThat(CliRun.run("certs", "intermediate", "--root", root.toString(), "--cluster", "east", "--out",
                eastCa.toString()).exitCode()).isZero();

        CliRun install = CliRun.run("install", "--cluster", "east", "--multicluster", "--ca-dir", eastCa.toString());
        assertThat(install.exitCode()).as(install.err()).isZero();
        assertThat(install.err()).doesNotContain("warning");
        List<HasMetadata> objects = eastClient.load(new ByteArrayInputStream(install.out().getBytes(StandardCharsets.UTF_8)))
                .items();
        io.fabric8.kubernetes.api.model.Container controlPlane = objects.stream().filter(o -> o instanceof Deployment d
                && d.getMetadata().getName().equals("meshwork-control-plane")).map(Deployment.class::cast).findFirst()
                .orElseThrow().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(controlPlane.getArgs()).containsSubsequence("--ca-dir", "/etc/meshwork/ca");
        assertThat(controlPlane.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/meshwork/ca"));

        // The Secret, mounted as the control plane's --ca-dir, loads as east's intermediate under the shared root.
        Path mounted = Files.createDirectories(dir.resolve("mounted"));
        Secret ca = objects.stream().filter(o -> o instanceof Secret s && s.getMetadata().getName().equals("meshwork-ca"))
                .map(Secret.class::cast).findFirst().orElseThrow();
        ca.getStringData().forEach((file, content) -> write(mounted.resolve(file), content));
        io.meshwork.certs.CertificateAuthority loaded = io.meshwork.certs.CaDirectory.load(mounted);
        assertThat(loaded.certificate()).isEqualTo(io.meshwork.certs.CaDirectory.load(eastCa).certificate());
        assertThat(loaded.root()).isEqualTo(io.meshwork.certs.Pem.readCertificates(root.resolve("root-cert.pem")).get(0));
        io.fabric8.kubernetes.api.model.ConfigMap rootCert = objects.stream()
                .filter(o -> o instanceof io.fabric8.kubernetes.api.model.ConfigMap c
                        && c.getMetadata().getName().equals("meshwork-ca-root-cert"))
                .map(io.fabric8.kubernetes.api.model.ConfigMap.class::cast).findFirst().orElseThrow();
        assertThat(rootCert.getData().get("root-cert.pem")).isEqualTo(Files.readString(root.resolve("root-cert.pem")));

        assertThat(CliRun.run("install", "--cluster", "east", "--multicluster").err())
                .contains("warning: --multicluster without --ca-dir");
        CliRun missing = CliRun.run("install", "--ca-dir", dir.resolve("nowhere").toString());
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err()).startsWith("error: --ca-dir: " + dir.resolve("nowhere").resolve("ca-cert.pem") + ": missing");
    }

    @Test
    void analyzeOnAClusterWarnsWhenTheClustersDisagreeOnAServicesPorts() throws Exception {
        westClient.services().resource(new ServiceBuilder().withNewMetadata().withName("reviews").withNamespace("default")
                .endMetadata().withNewSpec().addToSelector("app", "reviews").addNewPort().withName("http").withPort(9080)
                .endPort().endSpec().build()).create();
        eastClient.services().resource(new ServiceBuilder().withNewMetadata().withName("reviews").withNamespace("default")
                .endMetadata().withNewSpec().addToSelector("app", "reviews").addNewPort().withName("web").withPort(8080)
                .endPort().endSpec().build()).create();
        westClient.secrets().inNamespace("meshwork-system").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("meshwork-remote-east").withNamespace("meshwork-system")
                .addToLabels(RemoteClusters.SECRET_LABEL, "true").addToAnnotations(RemoteClusters.NAME_ANNOTATION, "east")
                .endMetadata().addToData(RemoteClusters.SECRET_KEY, Base64.getEncoder().encodeToString(
                        Files.readAllBytes(kubeconfig(east)))).build()).create();

        CliRun run = CliRun.run("analyze", "--kubeconfig", kubeconfig(west).toString());

        assertThat(run.exitCode()).as(run.err()).isZero(); // a warning, not an error
        assertThat(run.out()).contains("Warning Service default/reviews: spec.ports: the clusters disagree on its ports: "
                + "c has [http 9080/TCP], east has [web 8080/TCP]; the mesh service has c's, and other clusters' "
                + "endpoints join it only under a port name c has");
        assertThat(run.out()).contains("cluster c with [east]: 1 service");
        CliRun both = CliRun.run("analyze", "--kubeconfig", kubeconfig(west).toString(), "--config-dir", dir.toString());
        assertThat(both.err()).contains("check a folder or a cluster, not both");
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What east's token controller does: a service-account-token Secret gets its token and CA. */
    private static SharedIndexInformer<Secret> fillTokens(KubernetesClient client) {
        return client.secrets().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret secret) {
                if ("kubernetes.io/service-account-token".equals(secret.getType())
                        && (secret.getData() == null || !secret.getData().containsKey("token"))) {
                    client.secrets().inNamespace(secret.getMetadata().getNamespace()).withName(secret.getMetadata().getName())
                            .edit(s -> {
                                s.setData(new HashMap<>(Map.of(
                                        "token", Base64.getEncoder().encodeToString("east-reader-token".getBytes(StandardCharsets.UTF_8)),
                                        "ca.crt", Base64.getEncoder().encodeToString("-----BEGIN CERTIFICATE-----\n".getBytes(StandardCharsets.UTF_8)))));
                                return s;
                            });
                }
            }

            @Override
            public void onUpdate(Secret before, Secret after) {
            }

            @Override
            public void onDelete(Secret secret, boolean finalStateUnknown) {
            }
        });
    }

    private Path kubeconfig(KubernetesMockServer cluster) throws Exception {
        Path file = dir.resolve("kubeconfig-" + cluster.getPort());
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: c
                  cluster: {server: "http://127.0.0.1:%d"}
                users:
                - name: admin
                  user: {token: not-checked}
                contexts:
                - name: c
                  context: {cluster: c, user: admin}
                current-context: c
                """.formatted(cluster.getPort()), StandardCharsets.UTF_8);
        return file;
    }
}
