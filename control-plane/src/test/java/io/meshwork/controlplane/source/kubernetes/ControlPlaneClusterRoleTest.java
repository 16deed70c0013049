package io.meshwork.controlplane.source.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.backends;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.pod;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.slice;
import static io.meshwork.controlplane.source.kubernetes.MockApiServer.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.xds.Eventually;
import io.meshwork.injector.install.InstallManifests;
import io.meshwork.injector.install.InstallOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The control plane's permissions: started against the mock API server, every (verb, API group,
 * resource) it calls is granted by the ClusterRole that {@code mesh install} prints, and the role
 * grants nothing beyond those calls but the duties named below that this test does not exercise.
 */
class ControlPlaneClusterRoleTest {

    private static final String AGENT = "meshwork-control-plane-under-test";

    /**
     * Granted for duties this test does not drive, each with its reason: a grant that appears with no
     * use and no line here fails the test.
     */
    private static final Set<String> GRANTED_FOR_OTHER_DUTIES = Set.of(
            "authentication.k8s.io tokenreviews create",        // the CA reviews sidecars' ServiceAccount tokens
            "split.smi-spec.io trafficsplits update",           // a Canary's steps: the split written with the resourceVersion read
            "gateway.networking.k8s.io httproutes update",      // ... or the HTTPRoute that overrides the split
            "gateway.networking.k8s.io grpcroutes update",      // ... or the GRPCRoute that does
            "gateway.networking.k8s.io grpcroutes/status update", // GRPCRoutes' status, written as HTTPRoutes' is
            "services get",                                     // ... after checking each backend is a Service
            "configmaps get", "configmaps list", "configmaps watch", // the root-certificate ConfigMap per meshed namespace
            "configmaps create", "configmaps update", "configmaps patch",
            "namespaces list", "namespaces watch",              // injection and revision labels
            "access.smi-spec.io traffictargets list", "access.smi-spec.io traffictargets watch"); // SMI access policy

    @Test
    void everyCallIsGrantedByTheInstalledClusterRoleAndNothingElseIs() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient setup = api.client();
            setup.services().resource(service("reviews", Map.of("app", "reviews"), 9080)).create();
            setup.services().resource(service("reviews-v1", Map.of("app", "reviews", "version", "v1"), 9080)).create();
            setup.services().resource(service("reviews-v2", Map.of("app", "reviews", "version", "v2"), 9080)).create();
            setup.pods().resource(pod("reviews-v1-0", Map.of("app", "reviews", "version", "v1"), "10.0.0.1", true)).create();
            setup.discovery().v1().endpointSlices().resource(slice("reviews-v1-a", "reviews-v1", "reviews-v1-0", "10.0.0.1",
                    9080, true, false)).create();
            GenericKubernetesResource broken = split("reviews", 50, 50);
            backends(broken).get(1).put("service", "reviews-v3");
            api.trafficSplits().resource(broken).create();
            // A Canary the leader takes up and records as Failed (reviews-v2 is no longer a backend of the split).
            io.meshwork.controlplane.canary.kubernetes.CanaryObjects.canaries(setup).resource(
                    io.meshwork.controlplane.canary.kubernetes.CanaryObjects.object("default",
                            new io.meshwork.controlplane.canary.CanaryPlan("reviews", "reviews-v1", "reviews-v2",
                                    java.util.List.of(50, 100), Duration.ofSeconds(1), 99, Duration.ofMillis(500), 2)))
                    .create();

            // An HTTPRoute attached to reviews, whose Gateway API status the leader writes.
            setup.genericKubernetesResources(KubernetesSource.HTTP_ROUTE.context()).inNamespace("default").resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: gateway.networking.k8s.io/v1
                            kind: HTTPRoute
                            metadata: {name: reviews, namespace: default}
                            spec:
                              parentRefs: [{group: "", kind: Service, name: reviews}]
                              rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]
                            """, GenericKubernetesResource.class)).create();

            // Meshwork's GatewayClass and a Gateway of it, whose status the leader writes.
            setup.genericKubernetesResources(new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
                    .withGroup("gateway.networking.k8s.io").withVersion("v1").withKind("GatewayClass")
                    .withPlural("gatewayclasses").withNamespaced(false).build()).resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: gateway.networking.k8s.io/v1
                            kind: GatewayClass
                            metadata: {name: meshwork}
                            spec: {controllerName: meshwork.io/gateway-controller}
                            """, GenericKubernetesResource.class)).create();
            setup.genericKubernetesResources(KubernetesSource.GATEWAY.context()).inNamespace("default").resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: gateway.networking.k8s.io/v1
                            kind: Gateway
                            metadata: {name: web, namespace: default}
                            spec:
                              gatewayClassName: meshwork
                              listeners: [{name: http, port: 8080, protocol: HTTP}]
                            """, GenericKubernetesResource.class)).create();

            KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(setup.getConfiguration()).withUserAgent(AGENT).build()).build();
            try (ControlPlane controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), client)
                    .start()) {
                // The invalid split makes it write an Event; then every kind it reads has been listed and watched.
                Eventually.await(Duration.ofSeconds(10), "an InvalidConfig Event",
                        () -> !setup.v1().events().inNamespace("default").list().getItems().isEmpty());
                Eventually.await(Duration.ofSeconds(10), "the HTTPRoute's status", () -> setup.genericKubernetesResources(
                        KubernetesSource.HTTP_ROUTE.context()).inNamespace("default").withName("reviews").get()
                        .getAdditionalProperties().get("status") != null);
                Eventually.await(Duration.ofSeconds(10), "the Gateway's status", () -> setup.genericKubernetesResources(
                        KubernetesSource.GATEWAY.context()).inNamespace("default").withName("web").get()
                        .getAdditionalProperties().get("status") != null);
                Eventually.await(Duration.ofSeconds(10), "the Canary's status recorded as Failed",
                        () -> "Failed".equals(io.meshwork.controlplane.canary.kubernetes.CanaryObjects.phase(
                                io.meshwork.controlplane.canary.kubernetes.CanaryObjects.canaries(setup)
                                        .inNamespace("default").withName("reviews").get())));
            }

            Set<String> used = new TreeSet<>();
            api.requests().stream().filter(r -> AGENT.equals(r.userAgent())).forEach(r -> used.add(permission(r)));
            Set<String> granted = grantedByInstall();

            assertThat(used).as("calls the control plane made").contains("discovery.k8s.io endpointslices watch",
                    "events create", "split.smi-spec.io trafficsplits list",
                    "meshwork.io canaries watch", "meshwork.io canaries/status patch",
                    "gateway.networking.k8s.io httproutes/status update",
                    "gateway.networking.k8s.io gateways/status update",
                    "gateway.networking.k8s.io gatewayclasses/status update");
            assertThat(granted).as("the ClusterRole of mesh install").containsAll(used);
            Set<String> unused = new TreeSet<>(granted);
            unused.removeAll(used);
            assertThat(unused).as("granted but neither used nor named as another duty's").isSubsetOf(GRANTED_FOR_OTHER_DUTIES);
        }
    }

    /**
     * The Secrets a Gateway's HTTPS listener needs: read only in the Gateway's namespace, only with verbs the Role that
     * {@code mesh install --gateway} adds there grants, and never through the ClusterRole (which has none).
     */
    @Test
    void gatewaySecretsAreReadOnlyInTheGatewaysNamespaceWithTheRoleMeshInstallGatewayAdds() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient setup = api.client();
            setup.genericKubernetesResources(KubernetesSource.GATEWAY_CLASS.context()).resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: gateway.networking.k8s.io/v1
                            kind: GatewayClass
                            metadata: {name: meshwork}
                            spec: {controllerName: meshwork.io/gateway-controller}
                            """, GenericKubernetesResource.class)).create();
            setup.genericKubernetesResources(KubernetesSource.GATEWAY.context()).inNamespace("edge").resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: gateway.networking.k8s.io/v1
                            kind: Gateway
                            metadata: {name: web, namespace: edge}
                            spec:
                              gatewayClassName: meshwork
                              listeners: [{name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: web-cert}]}}]
                            """, GenericKubernetesResource.class)).create();
            var certificate = io.meshwork.certs.CertificateAuthority.createSelfSigned("edge", Duration.ofDays(1))
                    .issue(io.meshwork.certs.LeafRequest.forDnsNames(Duration.ofDays(1), "web.example.com"));
            setup.secrets().inNamespace("edge").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata().withName("web-cert").withNamespace("edge").endMetadata().withType("kubernetes.io/tls")
                    .addToStringData("tls.crt", certificate.chainPem()).addToStringData("tls.key", certificate.privateKeyPem())
                    .build()).create();

            KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(setup.getConfiguration()).withUserAgent(AGENT).build()).build();
            java.util.concurrent.atomic.AtomicReference<io.meshwork.controlplane.model.MeshSnapshot> latest =
                    new java.util.concurrent.atomic.AtomicReference<>();
            try (KubernetesSource source = new KubernetesSource(client)) {
                source.start(latest::set, () -> { });
                Eventually.await(Duration.ofSeconds(10), "the listener's certificate", () -> latest.get() != null
                        && latest.get().gateways().secrets().containsKey(
                                io.meshwork.controlplane.model.ObjectRef.of("edge", "web-cert")));
            } finally {
                client.close();
            }

            List<MockApiServer.Request> secretCalls = api.requests().stream().filter(r -> AGENT.equals(r.userAgent())
                    && URI.create(r.path()).getPath().contains("secrets")).toList();
            assertThat(secretCalls).isNotEmpty().allSatisfy(r -> assertThat(URI.create(r.path()).getPath())
                    .as("in the Gateway's namespace only").isEqualTo("/api/v1/namespaces/edge/secrets"));
            Set<String> used = new TreeSet<>();
            secretCalls.forEach(r -> used.add(permission(r)));
            assertThat(grantedByInstall()).as("the ClusterRole").noneMatch(p -> p.startsWith("secrets "));

            Set<String> roleGrants = new TreeSet<>();
            for (var document : new InstallManifests(InstallOptions.defaults().withGateways(List.of(
                    new io.meshwork.injector.install.GatewayInstall("edge", "web", List.of(443), null)))).documents()) {
                if (document.path("kind").asString().equals("Role") && document.path("metadata").path("namespace")
                        .asString().equals("edge")) {
                    for (var rule : document.path("rules")) {
                        for (var resource : rule.path("resources")) {
                            for (var verb : rule.path("verbs")) {
                                roleGrants.add(resource.asString() + " " + verb.asString());
                            }
                        }
                    }
                }
            }
            assertThat(used).containsExactlyInAnyOrder("secrets list", "secrets watch");
            assertThat(roleGrants).as("the Role in edge of mesh install --gateway edge/web").containsAll(used);
        }
    }

    /** "{group} {resource} {verb}", the group left out for the core API. */
    private static String permission(MockApiServer.Request request) {
        URI uri = URI.create(request.path());
        String[] parts = uri.getPath().substring(1).split("/");
        int at;
        String group;
        if (parts[0].equals("api")) {
            group = "";
            at = 2;
        } else {
            group = parts[1];
            at = 3;
        }
        if (parts.length > at + 1 && parts[at].equals("namespaces")) {
            at += 2;
        }
        String resource = parts.length > at + 2 ? parts[at] + "/" + parts[at + 2] : parts[at]; // a subresource: canaries/status
        boolean named = parts.length > at + 1;
        boolean watch = uri.getQuery() != null && uri.getQuery().contains("watch=true");
        String verb = switch (request.method()) {
            case "GET" -> watch ? "watch" : named ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> request.method().toLowerCase(java.util.Locale.ROOT);
        };
        return (group.isEmpty() ? "" : group + " ") + resource + " " + verb;
    }

    private static Set<String> grantedByInstall() {
        Set<String> granted = new TreeSet<>();
        for (var document : new InstallManifests(InstallOptions.defaults()).documents()) {
            if (!document.path("kind").asString().equals("ClusterRole")
                    || !document.path("metadata").path("name").asString().equals("meshwork-control-plane")) {
                continue;
            }
            for (var rule : document.path("rules")) {
                for (var group : rule.path("apiGroups")) {
                    for (var resource : rule.path("resources")) {
                        for (var verb : rule.path("verbs")) {
                            granted.add((group.asString().isEmpty() ? "" : group.asString() + " ") + resource.asString() + " "
                                    + verb.asString());
                        }
                    }
                }
            }
        }
        assertThat(granted).as("rules of ClusterRole meshwork-control-plane").isNotEmpty();
        return granted;
    }
}
