package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwork.cli.demo.LoadGenerator;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.canary.kubernetes.CanaryObjects;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.xds.NodeIdentity;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A canary promoted, and one rolled back, end to end on a cluster: fabric8's mock API server (CRUD
 * mode) is the cluster, the Kubernetes-mode control plane leads (Lease) and runs the {@code Canary}
 * object, a real sidecar carries a steady load to {@code reviews}, real HTTP servers stand for the
 * pods, and {@code mesh canary promote --kubeconfig} writes the object and follows its status.
 */
class KubernetesCanaryTest {

    @TempDir
    Path dir;

    private final PortForwardRelay api = new PortForwardRelay();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private final List<PodBackend> backends = new ArrayList<>();

    @BeforeEach
    void cluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), api, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        backends.forEach(PodBackend::close);
        client.close();
        server.destroy();
    }

    @Test
    void aHealthyCanaryIsPromotedByTheControlPlaneWhileTheCliFollows() throws Exception {
        CliRun run = promoteWith(200, "--steps", "50,100", "--interval", "1s");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("Canary default/reviews created in cluster mock")
                .containsPattern("step 1/2 .*PASSED").containsPattern("step 2/2 .*PASSED")
                .contains("promoted: reviews-v2 passed every step");
        assertThat(weights()).containsEntry("reviews-v1", 0L).containsEntry("reviews-v2", 100L);
        GenericKubernetesResource canary = canary();
        assertThat(CanaryObjects.phase(canary)).isEqualTo("Promoted");
        assertThat(CanaryObjects.status(canary)).containsEntry("canaryWeight", 100);
        assertThat(CanaryObjects.checks(canary)).isNotEmpty().allSatisfy(c -> assertThat(c).containsEntry("verdict", "PASSED"));

        CliRun status = CliRun.run("canary", "status", "reviews", "--kubeconfig", kubeconfig().toString());
        assertThat(status.out()).contains("state: Promoted").contains("object: Canary default/reviews: Promoted");
    }

    @Test
    void aFailingCanaryIsRolledBackAndTheCliExitsNonZero() throws Exception {
        CliRun run = promoteWith(503, "--steps", "50,100", "--interval", "1s", "--threshold", "2");

        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.out()).containsPattern("step 1/2 .*FAILED \\(success rate 0\\.0% < 99\\.0%; failed checks 1/2\\)")
                .contains("rolled back: reviews-v2 failed 2 checks");
        assertThat(weights()).containsEntry("reviews-v1", 100L).containsEntry("reviews-v2", 0L);
        assertThat(CanaryObjects.phase(canary())).isEqualTo("RolledBack");
    }

    @Test
    void aRunningCanaryIsNotReplacedAndWrongInputNamesTheField() throws Exception {
        setUpServicesAndSplit(200);
        CanaryObjects.canaries(client).resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("meshwork.io/v1alpha1").withKind("Canary").withMetadata(meta("reviews"))
                .addToAdditionalProperties("spec", Map.of("service", "reviews", "primary", "reviews-v1", "canary", "reviews-v2",
                        "steps", List.of(50, 100)))
                .addToAdditionalProperties("status", Map.of("phase", "Progressing", "observedGeneration", 1, "step", 1,
                        "steps", 2, "canaryWeight", 50, "failedChecks", 0))
                .build()).create();

        CliRun running = CliRun.run("canary", "promote", "reviews", "--canary", "reviews-v2", "--kubeconfig",
                kubeconfig().toString());
        assertThat(running.exitCode()).isNotZero();
        assertThat(running.err()).contains("Canary default/reviews is running").contains("mesh canary abort reviews");

        CliRun unknown = CliRun.run("canary", "promote", "reviews", "--canary", "reviews-v9", "--kubeconfig",
                kubeconfig().toString());
        assertThat(unknown.err()).contains("--canary reviews-v9 is not a backend of TrafficSplit default/reviews");

        CliRun missingFile = CliRun.run("split", "get", "reviews", "--kubeconfig", dir.resolve("nope").toString());
        assertThat(missingFile.err()).contains("--kubeconfig").contains("no such readable file");

        CliRun noContext = CliRun.run("split", "get", "reviews", "--kubeconfig", kubeconfig().toString(), "--context", "prod");
        assertThat(noContext.err()).contains("--context prod: no such context in").contains("(contexts: mock)");

        Path down = dir.resolve("down");
        Files.writeString(down, Files.readString(kubeconfig()).replace(":" + server.getPort() + "\"", ":1\""));
        CliRun refused = CliRun.run("proxy-status", "--kubeconfig", down.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err().strip()).isEqualTo("error: the cluster's API server: cannot connect (connection refused)");
    }

    @Test
    void proxyStatusAndProxyConfigReachTheClusterThroughPortForwards() throws Exception {
        withMesh(200, (controlPlane, sidecar) -> {
            client.pods().resource(new PodBuilder().withMetadata(new ObjectMetaBuilder(meta("meshwork-control-plane-0"))
                            .withNamespace("meshwork-system").addToLabels("app", "meshwork-control-plane")
                            .addToLabels("meshwork.io/component", "control-plane").build())
                    .withNewSpec().addNewContainer().withName("control-plane")
                    .withArgs("control-plane", "--kubernetes", "--cluster", "west").endContainer().endSpec()
                    .withNewStatus().withPodIP("127.0.0.1").withPhase("Running").endStatus().build()).create();
            api.route("meshwork-system", "meshwork-control-plane-0", 15014, controlPlane.adminPort());
            api.route("default", "frontend-0", 15000, sidecar.adminPort());

            CliRun status = CliRun.run("proxy-status", "--kubeconfig", kubeconfig().toString());
            assertThat(status.exitCode()).as(status.out() + status.err()).isZero();
            assertThat(status.out()).containsPattern("NAME +WORKLOAD +CLUSTER +CDS")
                    .containsPattern("frontend-0.*default/frontend-0 +west +SYNCED +SYNCED +SYNCED +SYNCED");

            CliRun listeners = CliRun.run("proxy-config", "frontend-0", "listeners", "--kubeconfig", kubeconfig().toString());
            assertThat(listeners.exitCode()).as(listeners.out() + listeners.err()).isZero();
            assertThat(listeners.out()).contains("LISTENER").contains("outbound");

            CliRun dump = CliRun.run("proxy-config", "frontend-0", "clusters", "-o", "json", "--kubeconfig",
                    kubeconfig().toString());
            assertThat(dump.out()).contains("ClustersConfigDump").contains("outbound|9080||reviews-v2.default.svc.cluster.local");

            CliRun noPod = CliRun.run("proxy-config", "frontend-9", "--kubeconfig", kubeconfig().toString());
            assertThat(noPod.err()).contains("no pod default/frontend-9 in cluster mock");
            return null;
        });
    }

    /** What a test does with the running mesh. */
    private interface MeshTest<T> {
        T run(ControlPlane controlPlane, SidecarProxy sidecar) throws Exception;
    }

    /** The mesh, a control plane, a sidecar under load, then {@code mesh canary promote --kubeconfig} with {@code flags}. */
    private CliRun promoteWith(int canaryStatus, String... flags) throws Exception {
        return withMesh(canaryStatus, (controlPlane, sidecar) -> {
            List<String> args = new ArrayList<>(List.of("canary", "promote", "reviews", "--canary", "reviews-v2",
                    "--kubeconfig", kubeconfig().toString()));
            args.addAll(List.of(flags));
            CliRun run = CliRun.run(args.toArray(String[]::new));
            System.out.print(run.out()); // the report a user sees
            return run;
        });
    }

    /** Services, pods and the split in the cluster, the Kubernetes-mode control plane, the frontend's sidecar under load. */
    private <T> T withMesh(int canaryStatus, MeshTest<T> test) throws Exception {
        setUpServicesAndSplit(canaryStatus);
        try (ControlPlane controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                server.createClient(), new KubernetesMode.LeaderElection("meshwork-system", "meshwork-control-plane",
                        "control-plane-0", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2))).start();
             SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                     new NodeIdentity("frontend-0", "default", "frontend", "frontend-0"), "127.0.0.1", 0, 0, 0, 0, 0,
                     Duration.ofSeconds(5), 1)).start()) {
            // the frontend pod is meshed; its sidecar's Prometheus port is where the control plane reads what it sent
            client.pods().resource(new PodBuilder().withMetadata(new ObjectMetaBuilder(meta("frontend-0"))
                            .addToLabels("app", "frontend").addToAnnotations("meshwork.io/status", "{\"version\":\"test\"}")
                            .addToAnnotations("prometheus.io/port", String.valueOf(sidecar.metricsPort())).build())
                    .withNewSpec().withServiceAccountName("frontend").endSpec()
                    .withNewStatus().withPodIP("127.0.0.1").withPhase("Running").endStatus().build()).create();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (sidecar.listenerPort("outbound") < 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            try (LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound")),
                    URI.create("http://reviews:9080/"), 4, Duration.ofMillis(5))) {
                load.start();
                return test.run(controlPlane, sidecar);
            }
        }
    }

    private void setUpServicesAndSplit(int canaryStatus) throws Exception {
        service("reviews", Map.of("app", "reviews"));
        service("reviews-v1", Map.of("app", "reviews", "version", "v1"));
        service("reviews-v2", Map.of("app", "reviews", "version", "v2"));
        int v1 = backend(200);
        int v2 = backend(canaryStatus);
        pod("reviews-v1-0", "v1");
        pod("reviews-v2-0", "v2");
        slice("reviews-a", "reviews", "reviews-v1-0", v1);
        slice("reviews-b", "reviews", "reviews-v2-0", v2);
        slice("reviews-v1-a", "reviews-v1", "reviews-v1-0", v1);
        slice("reviews-v2-a", "reviews-v2", "reviews-v2-0", v2);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("service", "reviews");
        spec.put("backends", new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("service", "reviews-v1", "weight", 100)),
                new LinkedHashMap<>(Map.of("service", "reviews-v2", "weight", 0)))));
        client.genericKubernetesResources(KubernetesSource.TRAFFIC_SPLIT.context()).resource(
                new GenericKubernetesResourceBuilder().withApiVersion("split.smi-spec.io/v1alpha4").withKind("TrafficSplit")
                        .withMetadata(meta("reviews")).addToAdditionalProperties("spec", spec).build()).create();
    }

    private Map<String, Long> weights() {
        GenericKubernetesResource split = client.genericKubernetesResources(KubernetesSource.TRAFFIC_SPLIT.context())
                .inNamespace("default").withName("reviews").get();
        Map<String, Long> weights = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> backends = (List<Map<String, Object>>) ((Map<String, Object>) split
                .getAdditionalProperties().get("spec")).get("backends");
        backends.forEach(b -> weights.put((String) b.get("service"), ((Number) b.get("weight")).longValue()));
        return weights;
    }

    private GenericKubernetesResource canary() {
        return CanaryObjects.canaries(client).inNamespace("default").withName("reviews").get();
    }

    /** A kubeconfig whose context {@code mock} is the mock API server. */
    private Path kubeconfig() throws Exception {
        Path file = dir.resolve("kubeconfig");
        if (!Files.exists(file)) {
            Files.writeString(file, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: mock
                      cluster: {server: "http://127.0.0.1:%d"}
                    users:
                    - name: tester
                      user: {token: not-checked}
                    contexts:
                    - name: mock
                      context: {cluster: mock, user: tester, namespace: default}
                    current-context: mock
                    """.formatted(server.getPort()), StandardCharsets.UTF_8);
        }
        return file;
    }

    /** An HTTP backend on loopback answering every request with {@code status}; returns its port. */
    private int backend(int status) throws Exception {
        PodBackend pod = new PodBackend("reviews", "v" + status, status);
        backends.add(pod);
        return pod.port();
    }

    private void service(String name, Map<String, String> selector) {
        client.services().resource(new ServiceBuilder().withMetadata(meta(name)).withNewSpec().withSelector(selector)
                .addNewPort().withName("http").withPort(9080).endPort().endSpec().build()).create();
    }

    private void pod(String name, String version) {
        client.pods().resource(new PodBuilder().withMetadata(new ObjectMetaBuilder(meta(name)).addToLabels("app", "reviews")
                        .addToLabels("version", version).build())
                .withNewSpec().withServiceAccountName("reviews").endSpec()
                .withNewStatus().withPodIP("127.0.0.1").withPhase("Running").endStatus().build()).create();
    }

    private void slice(String name, String service, String pod, int port) {
        client.discovery().v1().endpointSlices().resource(new EndpointSliceBuilder()
                .withMetadata(new ObjectMetaBuilder(meta(name)).addToLabels("kubernetes.io/service-name", service).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(port).endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).endConditions()
                .withNewTargetRef().withKind("Pod").withNamespace("default").withName(pod).endTargetRef().endEndpoint()
                .build()).create();
    }

    private static ObjectMeta meta(String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace("default").withUid(UUID.randomUUID().toString()).build();
    }
}
