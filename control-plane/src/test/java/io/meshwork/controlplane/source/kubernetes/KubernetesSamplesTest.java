package io.meshwork.controlplane.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.kubernetes.CanaryObjects;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.xds.Eventually;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The objects of {@code samples/kubernetes}, which the README's "On a cluster" walkthrough applies,
 * created in fabric8's mock API server as {@code kubectl apply} would create them: the Kubernetes
 * source reads them without a problem, routes reviews by both splits, and the Canary sample is a
 * plan the control plane can run.
 */
class KubernetesSamplesTest {

    private static final Path SAMPLES = Path.of("..", "samples", "kubernetes");
    private static final Map<String, KubernetesSource.CustomKind> CUSTOM = Map.of(
            "TrafficSplit", KubernetesSource.TRAFFIC_SPLIT, "HTTPRouteGroup", KubernetesSource.HTTP_ROUTE_GROUP,
            "Canary", CanaryObjects.CANARY, "GatewayClass", KubernetesSource.GATEWAY_CLASS, "Gateway",
            KubernetesSource.GATEWAY, "HTTPRoute", KubernetesSource.HTTP_ROUTE);

    @Test
    void theSamplesAreServedWithoutAProblemAndTheCanaryIsARunnablePlan() throws Exception {
        try (MockApiServer api = new MockApiServer(); Stream<Path> files = Files.list(SAMPLES)) {
            KubernetesClient client = api.client();
            List<Path> yamls = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
            assertThat(yamls).extracting(f -> f.getFileName().toString()).contains("canary.yaml", "traffic-split.yaml");
            GenericKubernetesResource canary = null;
            for (Path file : yamls) {
                try (InputStream in = Files.newInputStream(file)) {
                    for (HasMetadata object : asList(client.getKubernetesSerialization().unmarshal(in))) {
                        if (object instanceof GenericKubernetesResource generic) {
                            KubernetesSource.CustomKind kind = CUSTOM.get(generic.getKind());
                            assertThat(kind).as(file + ": a kind the control plane reads: " + generic.getKind()).isNotNull();
                            GenericKubernetesResource created = client.genericKubernetesResources(kind.context())
                                    .resource(generic).create();
                            canary = kind == CanaryObjects.CANARY ? created : canary;
                        } else {
                            client.resource(object).create();
                        }
                    }
                }
            }

            AtomicReference<MeshSnapshot> latest = new AtomicReference<>();
            AtomicInteger problems = new AtomicInteger();
            try (KubernetesSource source = new KubernetesSource(client)) {
                source.start(latest::set, problems::incrementAndGet);
                Eventually.await(Duration.ofSeconds(5), "both splits of reviews", () -> latest.get() != null
                        && latest.get().splits().size() == 2);
                // The ingress's HTTPS listener waits for its Secret (a warning, not an error), made as the sample says:
                // kubectl create secret tls frontend-example-tls -n meshwork-demo --cert=tls.crt --key=tls.key
                assertThat(source.problems()).extracting(io.meshwork.controlplane.source.local.ConfigProblem::withoutLocation)
                        .anyMatch(l -> l.contains("Secret meshwork-demo/frontend-example-tls is not a kubernetes.io/tls "
                                + "Secret that Meshwork has read (InvalidCertificateRef): listener \"https\" is not served"));
                io.meshwork.certs.IssuedCertificate certificate = io.meshwork.certs.CertificateAuthority
                        .createSelfSigned("demo", Duration.ofDays(1)).issue(io.meshwork.certs.LeafRequest.forDnsNames(
                                Duration.ofDays(1), "frontend.example.com"));
                client.secrets().inNamespace("meshwork-demo").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                        .withNewMetadata().withName("frontend-example-tls").withNamespace("meshwork-demo").endMetadata()
                        .withType("kubernetes.io/tls")
                        .addToData("tls.crt", base64(certificate.chainPem()))
                        .addToData("tls.key", base64(certificate.privateKeyPem())).build()).create();
                Eventually.await(Duration.ofSeconds(5), "the ingress's certificate", () -> latest.get().gateways()
                        .secrets().containsKey(ObjectRef.of("meshwork-demo", "frontend-example-tls")));
                Eventually.await(Duration.ofSeconds(5), "no warning about it", () -> source.problems().stream()
                        .noneMatch(p -> p.message().contains("frontend-example-tls")));
                // The source writes the Gateway API statuses after it delivers a snapshot: one more rebuild, after those
                // writes returned, before the watches close. fabric8's mock server blocks its event loop when a watch
                // closes while an event for it is being sent (WatchEventsListener.onClosed awaits its sender), and its
                // shutdown then timed out ("Unable to close MockWebServer"): two runs in five at load 3.
                long rebuilds = source.rebuilds();
                source.refresh();
                Eventually.await(Duration.ofSeconds(5), "a rebuild after the status writes", () -> source.rebuilds() > rebuilds);
            }
            assertThat(problems).as("config errors in samples/kubernetes").hasValue(0);
            // The ingress: its Gateway served, its HTTPS listener waiting for the Secret the sample makes with kubectl.
            assertThat(latest.get().gateways().served(ObjectRef.of("meshwork-demo", "web"))).isPresent();
            assertThat(latest.get().httpRoutes()).containsKey(ObjectRef.of("meshwork-demo", "frontend-ingress"));
            assertThat(latest.get().services()).containsKey(ObjectRef.of("meshwork-demo", "reviews"));

            CanaryPlan plan = CanaryObjects.plan(canary);
            assertThat(plan.steps()).containsExactly(10, 25, 50, 100);
            assertThat(plan.primary()).isEqualTo("reviews-v1");
            assertThat(plan.interval()).isEqualTo(Duration.ofSeconds(30));
        }
    }

    private static String base64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void theMulticlusterSamplesMakeOneMeshWhoseSplitReachesTheCanaryInTheOtherCluster() throws Exception {
        try (MockApiServer west = new MockApiServer(); MockApiServer east = new MockApiServer()) {
            apply(west.client(), Path.of("..", "samples", "multicluster", "west.yaml"));
            apply(east.client(), Path.of("..", "samples", "multicluster", "east.yaml"));
            AtomicReference<MeshSnapshot> latest = new AtomicReference<>();
            AtomicInteger problems = new AtomicInteger();
            RemoteClusters remotes = new RemoteClusters("west", RemoteClusters.DEFAULT_STALE_AFTER);
            remotes.add("east", east.newClient(), "test");
            // east read before the first snapshot: else west's split names a Service no cluster has yet, for a moment
            Eventually.await(Duration.ofSeconds(5), "east synced", () -> remotes.status().get(0).state().equals("synced"));
            try (KubernetesSource source = new KubernetesSource(west.newClient()).withClusters("west", remotes)) {
                source.start(latest::set, problems::incrementAndGet);
                Eventually.await(Duration.ofSeconds(5), "west's split, with reviews-v2 from east",
                        () -> latest.get() != null && latest.get().splits().size() == 1);
            }
            assertThat(latest.get().services()).containsKey(ObjectRef.of("meshwork-demo", "reviews-v2"));
            assertThat(problems).hasValue(0);
        }
    }

    /** Creates every object of {@code file} as {@code kubectl apply} would. */
    private static void apply(KubernetesClient client, Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            for (HasMetadata object : asList(client.getKubernetesSerialization().unmarshal(in))) {
                if (object instanceof GenericKubernetesResource generic) {
                    client.genericKubernetesResources(CUSTOM.get(generic.getKind()).context()).resource(generic).create();
                } else {
                    client.resource(object).create();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<HasMetadata> asList(Object unmarshalled) {
        return unmarshalled instanceof List<?> list ? (List<HasMetadata>) list : List.of((HasMetadata) unmarshalled);
    }
}
