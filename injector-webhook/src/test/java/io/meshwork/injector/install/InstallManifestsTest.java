package io.meshwork.injector.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.IssuedCertificate;
import io.meshwork.certs.LeafRequest;
import io.meshwork.certs.Pem;
import io.meshwork.injector.InjectorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh install}'s output, loaded back with fabric8's own serialization as a Kubernetes client would. */
class InstallManifestsTest {

    private static final KubernetesSerialization FABRIC8 = new KubernetesSerialization();
    private static final List<HasMetadata> DEFAULT = load(new InstallManifests(InstallOptions.defaults()).yaml());

    @TempDir
    Path dir;

    @Test
    void everyDocumentLoadsAsATypedKubernetesObject() {
        assertThat(DEFAULT).isNotEmpty().noneMatch(o -> o instanceof GenericKubernetesResource);
        assertThat(DEFAULT).extracting(HasMetadata::getKind).containsExactly("Namespace",
                "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition",
                "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition",
                "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition",
                "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition",
                "CustomResourceDefinition", "ServiceAccount", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                "Role", "RoleBinding", "Secret", "Secret", "ConfigMap", "ConfigMap", "Deployment", "Service",
                "Deployment", "Service", "MutatingWebhookConfiguration");
        assertThat(DEFAULT.get(0).getMetadata().getName()).isEqualTo("meshwork-system");
    }

    @Test
    void mutatingWebhookSelectsLabelledNamespacesAndSkipsOptedOutPods() {
        MutatingWebhook webhook = one(DEFAULT, MutatingWebhookConfiguration.class).getWebhooks().get(0);

        assertThat(webhook.getNamespaceSelector().getMatchLabels()).containsExactly(
                java.util.Map.entry("mesh-injection", "enabled"));
        assertThat(webhook.getObjectSelector().getMatchExpressions()).singleElement().satisfies(e -> {
            assertThat(e.getKey()).isEqualTo("meshwork.io/inject");
            assertThat(e.getOperator()).isEqualTo("NotIn");
            assertThat(e.getValues()).containsExactly("false");
        });
        assertThat(webhook.getFailurePolicy()).isEqualTo("Fail");
        assertThat(webhook.getSideEffects()).isEqualTo("None");
        assertThat(webhook.getTimeoutSeconds()).isEqualTo(10);
        assertThat(webhook.getReinvocationPolicy()).isEqualTo("IfNeeded");
        assertThat(webhook.getAdmissionReviewVersions()).containsExactly("v1");
        assertThat(webhook.getClientConfig().getService().getPath()).isEqualTo("/inject");
        assertThat(webhook.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getOperations()).containsExactly("CREATE");
            assertThat(r.getResources()).containsExactly("pods");
        });
    }

    @Test
    void podsLabelledInjectTrueAreInjectedInNamespacesThatDidNotOptIn() {
        List<MutatingWebhook> webhooks = one(DEFAULT, MutatingWebhookConfiguration.class).getWebhooks();

        assertThat(webhooks).extracting(MutatingWebhook::getName).containsExactly(
                "namespace.sidecar-injector.meshwork.io", "object.sidecar-injector.meshwork.io");
        MutatingWebhook byPod = webhooks.get(1);
        assertThat(byPod.getObjectSelector().getMatchLabels()).containsExactly(
                java.util.Map.entry("meshwork.io/inject", "true"));
        assertThat(byPod.getNamespaceSelector().getMatchExpressions()).extracting("key", "operator")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("mesh-injection", "NotIn"),
                        org.assertj.core.groups.Tuple.tuple("kubernetes.io/metadata.name", "NotIn"));
        assertThat(byPod.getFailurePolicy()).isEqualTo("Fail");
        assertThat(byPod.getClientConfig().getCaBundle()).isEqualTo(webhooks.get(0).getClientConfig().getCaBundle());
    }

    @Test
    void caBundleVerifiesTheWebhookServingCertificateForItsServiceName() throws Exception {
        MutatingWebhook webhook = one(DEFAULT, MutatingWebhookConfiguration.class).getWebhooks().get(0);
        X509Certificate ca = Pem.readCertificates(new String(Base64.getDecoder().decode(
                webhook.getClientConfig().getCaBundle()), StandardCharsets.US_ASCII), "caBundle").get(0);
        Secret tls = secret(DEFAULT, "meshwork-webhook-tls");

        X509Certificate serving = Pem.readCertificates(tls.getStringData().get("tls.crt"), "tls.crt").get(0);

        serving.verify(ca.getPublicKey());
        assertThat(serving.getSubjectAlternativeNames()).contains(List.of(2, "meshwork-webhook.meshwork-system.svc"));
        assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(Pem.readPrivateKey(tls.getStringData().get("tls.key"), "tls.key")).isNotNull();
        Service service = named(DEFAULT, Service.class, "meshwork-webhook");
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(443);
            assertThat(p.getTargetPort().getIntVal()).isEqualTo(15017);
        });
    }

    @Test
    void controlPlaneRoleWritesOnlyWhatItReconciles() {
        // events: the InvalidConfig Events on TrafficSplits and HTTPRouteGroups it does not apply; leases: leader election;
        // trafficsplits, httproutes and canaries/status: the leader runs Canary objects, stepping the weights of a split
        // (or of the HTTPRoute that overrides it) and recording status; httproutes/status: the routes' Gateway API status;
        // gateways/status and gatewayclasses/status: those of Meshwork's Gateways and GatewayClasses.
        ClusterRole role = one(DEFAULT, ClusterRole.class);
        Set<String> writeVerbs = Set.of("create", "update", "patch", "delete", "deletecollection", "*");
        List<String> written = new ArrayList<>();
        for (PolicyRule rule : role.getRules()) {
            if (rule.getVerbs().stream().anyMatch(writeVerbs::contains)) {
                written.addAll(rule.getResources());
            }
        }

        assertThat(written).containsExactlyInAnyOrder("trafficsplits", "httproutes", "grpcroutes", "httproutes/status", "grpcroutes/status",
                "configmaps", "gateways/status", "gatewayclasses/status",
                "events", "leases", "tokenreviews", "canaries/status");
        assertThat(role.getRules()).flatExtracting(PolicyRule::getResources).doesNotContain("secrets", "*");
        assertThat(role.getRules()).flatExtracting(PolicyRule::getVerbs).doesNotContain("*", "delete");
    }

    @Test
    void crdsOfEveryKindTheControlPlaneReadsComeBeforeAnythingElseButTheNamespace() {
        assertThat(DEFAULT.subList(1, 8)).extracting(o -> o.getMetadata().getName()).containsExactly(
                "trafficsplits.split.smi-spec.io", "httproutegroups.specs.smi-spec.io", "traffictargets.access.smi-spec.io",
                "peerauthentications.meshwork.io", "workloads.meshwork.io", "sidecars.meshwork.io", "canaries.meshwork.io");
    }

    @Test
    void smiKindsAreServedAtEveryVersionSideBySideWithConversionNone() {
        assertThat(versions("trafficsplits.split.smi-spec.io")).containsExactly("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4");
        assertThat(versions("httproutegroups.specs.smi-spec.io")).containsExactly("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4");
        assertThat(versions("traffictargets.access.smi-spec.io")).containsExactly("v1alpha2", "v1alpha3");
        for (String name : List.of("trafficsplits.split.smi-spec.io", "httproutegroups.specs.smi-spec.io",
                "traffictargets.access.smi-spec.io")) {
            CustomResourceDefinition crd = crd(name);
            assertThat(crd.getSpec().getConversion().getStrategy()).as(name).isEqualTo("None");
            assertThat(crd.getSpec().getVersions()).as(name).allMatch(CustomResourceDefinitionVersion::getServed)
                    .filteredOn(CustomResourceDefinitionVersion::getStorage).hasSize(1);
        }
    }

    @Test
    void canaryIsNamespacedWithAStatusSubresourceAndItsStateInKubectlGet() {
        CustomResourceDefinition canary = crd("canaries.meshwork.io");
        CustomResourceDefinitionVersion v1alpha1 = canary.getSpec().getVersions().get(0);

        assertThat(canary.getSpec().getScope()).isEqualTo("Namespaced");
        assertThat(canary.getSpec().getNames().getPlural()).isEqualTo("canaries");
        assertThat(v1alpha1.getSubresources().getStatus()).isNotNull();
        assertThat(v1alpha1.getAdditionalPrinterColumns()).extracting(c -> c.getName() + " " + c.getJsonPath())
                .containsExactly("Service .spec.service", "Phase .status.phase", "Weight .status.canaryWeight",
                        "Age .metadata.creationTimestamp");
        var spec = v1alpha1.getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertThat(spec.getRequired()).containsExactly("service", "primary", "canary", "steps");
        assertThat(spec.getProperties().get("interval").getDefault().asString()).isEqualTo("10s");
        assertThat(spec.getProperties().get("maxP99").getDefault().asString()).isEqualTo("500ms");
        assertThat(spec.getProperties().get("minSuccessRate").getDefault().asInt()).isEqualTo(99);
        assertThat(spec.getProperties().get("threshold").getDefault().asInt()).isEqualTo(2);
        // Printed as YAML and read back: the condition statuses stay strings, not booleans.
        var status = v1alpha1.getSchema().getOpenAPIV3Schema().getProperties().get("status").getProperties()
                .get("conditions").getItems().getSchema().getProperties().get("status");
        assertThat(status.getEnum()).extracting(e -> e.isString() ? e.asString() : "not a string: " + e)
                .containsExactly("True", "False", "Unknown");
    }

    @Test
    void hubAndTagNameEveryImageAndTheInjectorConfig() throws Exception {
        List<HasMetadata> objects = load(new InstallManifests(new InstallOptions(null, "1.28", "registry.example/mesh",
                "1.2.3", null, null, null)).yaml());

        assertThat(objects).filteredOn(o -> o instanceof Deployment).map(Deployment.class::cast)
                .extracting(d -> d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .containsExactly("registry.example/mesh/meshwork-control-plane:1.2.3",
                        "registry.example/mesh/meshwork-webhook:1.2.3");
        ConfigMap injector = named(objects, ConfigMap.class, "meshwork-injector");
        Path config = Files.writeString(dir.resolve("config.yaml"), injector.getData().get("config.yaml"));
        InjectorConfig loaded = InjectorConfig.load(config);
        assertThat(loaded.proxyImage()).isEqualTo("registry.example/mesh/meshwork-proxy:1.2.3");
        assertThat(loaded.nativeSidecars()).isFalse();
        assertThat(loaded.xdsAddress()).isEqualTo("meshwork-control-plane.meshwork-system.svc:15010");
    }

    @Test
    void revisionSuffixesTheComponentsAndSelectsNamespacesByRevisionLabel() {
        List<HasMetadata> objects = load(new InstallManifests(new InstallOptions("canary", null, null, null, null,
                null, null)).yaml());

        assertThat(objects).filteredOn(o -> o instanceof Deployment).extracting(o -> o.getMetadata().getName())
                .containsExactly("meshwork-control-plane-canary", "meshwork-webhook-canary");
        assertThat(objects).filteredOn(o -> o instanceof Deployment d && d.getMetadata().getName().contains("control-plane"))
                .singleElement().satisfies(d -> assertThat(((Deployment) d).getSpec().getTemplate().getMetadata().getLabels())
                        .as("what mesh proxy-status finds every revision's control plane by")
                        .containsEntry("meshwork.io/component", "control-plane")
                        .containsEntry("app", "meshwork-control-plane-canary"));
        MutatingWebhookConfiguration mwc = one(objects, MutatingWebhookConfiguration.class);
        assertThat(mwc.getMetadata().getName()).isEqualTo("meshwork-sidecar-injector-canary");
        assertThat(mwc.getWebhooks().get(0).getNamespaceSelector().getMatchLabels())
                .containsExactly(java.util.Map.entry("meshwork.io/rev", "canary"));
        assertThat(mwc.getWebhooks().get(0).getClientConfig().getService().getName()).isEqualTo("meshwork-webhook-canary");
    }

    @Test
    void givenWebhookCertificateIsUsedAsIs() {
        CertificateAuthority ca = CertificateAuthority.createSelfSigned("corp CA", Duration.ofDays(30));
        IssuedCertificate leaf = ca.issue(LeafRequest.forDnsNames(Duration.ofDays(30), "meshwork-webhook.meshwork-system.svc"));

        List<HasMetadata> objects = load(new InstallManifests(new InstallOptions(null, null, null, null,
                ca.certificatePem(), leaf.chainPem(), leaf.privateKeyPem())).yaml());

        assertThat(secret(objects, "meshwork-webhook-tls").getStringData().get("tls.crt")).isEqualTo(leaf.chainPem());
        assertThat(one(objects, MutatingWebhookConfiguration.class).getWebhooks().get(0).getClientConfig().getCaBundle())
                .isEqualTo(Base64.getEncoder().encodeToString(ca.certificatePem().getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void givenCertificateNotSignedByTheGivenCaIsRefused() {
        CertificateAuthority ca = CertificateAuthority.createSelfSigned("corp CA", Duration.ofDays(30));
        CertificateAuthority other = CertificateAuthority.createSelfSigned("other CA", Duration.ofDays(30));
        IssuedCertificate leaf = other.issue(LeafRequest.forDnsNames(Duration.ofDays(30), "x.example"));

        assertThatThrownBy(() -> new InstallManifests(new InstallOptions(null, null, null, null,
                ca.certificatePem(), leaf.certificatePem(), leaf.privateKeyPem())).yaml())
                .hasMessageContaining("is not signed by --webhook-ca");
        assertThatThrownBy(() -> new InstallOptions(null, null, null, null, ca.certificatePem(), null, null))
                .hasMessageContaining("give all three or none");
    }

    @Test
    void meshComponentsAreNeverInjectedAndRunAsNonRoot() {
        assertThat(DEFAULT).filteredOn(o -> o instanceof Deployment).map(Deployment.class::cast).allSatisfy(d -> {
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("meshwork.io/inject", "false");
            var sc = d.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext();
            assertThat(sc.getRunAsNonRoot()).isTrue();
            assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        });
    }

    private static final List<HasMetadata> WITH_GATEWAYS = load(new InstallManifests(InstallOptions.defaults()
            .withGateways(List.of(new GatewayInstall("edge", "web", List.of(443, 80), null),
                    new GatewayInstall("edge", "admin", List.of(8443), "ClusterIP"),
                    new GatewayInstall("shop", "store", List.of(8080), "NodePort")))).yaml());

    @Test
    void gatewaysComeAfterTheMeshWithOneSecretsGrantPerNamespaceAndTheClusterRoleStillReadsNoSecret() {
        assertThat(WITH_GATEWAYS.subList(0, DEFAULT.size())).extracting(HasMetadata::getKind)
                .containsExactlyElementsOf(DEFAULT.stream().map(HasMetadata::getKind).toList());
        assertThat(WITH_GATEWAYS.subList(DEFAULT.size(), WITH_GATEWAYS.size()))
                .extracting(o -> o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
                .containsExactly(
                        "Role edge/meshwork-control-plane-gateway-secrets",
                        "RoleBinding edge/meshwork-control-plane-gateway-secrets",
                        "ServiceAccount edge/web-meshwork", "Deployment edge/web-meshwork", "Service edge/web-meshwork",
                        "ServiceAccount edge/admin-meshwork", "Deployment edge/admin-meshwork",
                        "Service edge/admin-meshwork",
                        "Role shop/meshwork-control-plane-gateway-secrets",
                        "RoleBinding shop/meshwork-control-plane-gateway-secrets",
                        "ServiceAccount shop/store-meshwork", "Deployment shop/store-meshwork",
                        "Service shop/store-meshwork");
        ClusterRole role = one(WITH_GATEWAYS, ClusterRole.class);
        assertThat(role.getRules()).flatExtracting(PolicyRule::getResources).doesNotContain("secrets", "*");

        io.fabric8.kubernetes.api.model.rbac.Role grant = WITH_GATEWAYS.stream()
                .filter(o -> o instanceof io.fabric8.kubernetes.api.model.rbac.Role r
                        && "edge".equals(r.getMetadata().getNamespace()))
                .map(io.fabric8.kubernetes.api.model.rbac.Role.class::cast).findFirst().orElseThrow();
        assertThat(grant.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getApiGroups()).containsExactly("");
            assertThat(r.getResources()).containsExactly("secrets");
            assertThat(r.getVerbs()).containsExactly("get", "list", "watch");
        });
        io.fabric8.kubernetes.api.model.rbac.RoleBinding binding = WITH_GATEWAYS.stream()
                .filter(o -> o instanceof io.fabric8.kubernetes.api.model.rbac.RoleBinding b
                        && "edge".equals(b.getMetadata().getNamespace()))
                .map(io.fabric8.kubernetes.api.model.rbac.RoleBinding.class::cast).findFirst().orElseThrow();
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(grant.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getNamespace() + "/" + subject.getName())
                    .as("the control plane's own account, which its Deployment runs as")
                    .isEqualTo("meshwork-system/" + named(WITH_GATEWAYS, Deployment.class, "meshwork-control-plane")
                            .getSpec().getTemplate().getSpec().getServiceAccountName());
        });
    }

    @Test
    void aGatewaysDeploymentRunsMeshGatewayWithASidecarsIdentityAndIsNeverInjected() {
        Deployment deployment = gatewayObject(Deployment.class, "edge", "web-meshwork");
        var pod = deployment.getSpec().getTemplate();
        var container = pod.getSpec().getContainers().get(0);

        assertThat(deployment.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(pod.getMetadata().getLabels()).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels())
                .containsEntry("gateway.networking.k8s.io/gateway-name", "web")
                .containsEntry("meshwork.io/inject", "false");
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("web-meshwork");
        assertThat(pod.getSpec().getContainers()).hasSize(1);
        assertThat(container.getImage()).as("the image injected sidecars run")
                .isEqualTo(new InstallManifests(InstallOptions.defaults()).injectorConfig().proxyImage())
                .isEqualTo("ghcr.io/meshwork/meshwork-proxy:" + InjectorConfig.DEFAULT_TAG);
        assertThat(String.join(" ", container.getArgs())).isEqualTo("gateway"
                + " --xds meshwork-control-plane.meshwork-system.svc:15012 --name web --namespace edge"
                + " --service-account web-meshwork --instance $(POD_NAME) --bind-address 0.0.0.0"
                + " --admin-bind-address 127.0.0.1 --admin-port 15000 --health-port 15021 --metrics-port 15090"
                + " --token-file /var/run/secrets/tokens/meshwork-token"
                + " --ca-address meshwork-control-plane.meshwork-system.svc:15012"
                + " --ca-root-file /var/run/secrets/meshwork/root-cert.pem");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
        assertThat(container.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
        assertThat(container.getPorts()).extracting(p -> p.getName() + "=" + p.getContainerPort())
                .containsExactly("listener-80=80", "listener-443=443", "status-port=15021", "http-mesh-prom=15090");
        // The same identity volumes an injected sidecar gets: the projected token for the CA, the root ConfigMap.
        var token = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals("meshwork-token")).findFirst()
                .orElseThrow().getProjected().getSources().get(0).getServiceAccountToken();
        assertThat(token.getAudience()).isEqualTo("meshwork-ca");
        assertThat(pod.getSpec().getVolumes()).extracting(v -> v.getName())
                .containsExactlyInAnyOrder("meshwork-token", "meshwork-ca-root-cert", "tmp");
        assertThat(pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals("meshwork-ca-root-cert"))
                .findFirst().orElseThrow().getConfigMap().getName()).isEqualTo("meshwork-ca-root-cert");
        assertThat(container.getVolumeMounts()).extracting(m -> m.getName() + "=" + m.getMountPath())
                .contains("meshwork-token=/var/run/secrets/tokens", "meshwork-ca-root-cert=/var/run/secrets/meshwork",
                        "tmp=/tmp");
        assertThat(container.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(pod.getSpec().getSecurityContext().getSysctls()).as("ports 80 and 443 as the non-root proxy user")
                .extracting(s -> s.getName() + "=" + s.getValue()).containsExactly("net.ipv4.ip_unprivileged_port_start=0");
        assertThat(gatewayObject(Deployment.class, "edge", "admin-meshwork").getSpec().getTemplate().getSpec()
                .getSecurityContext()).as("8443 needs no sysctl").isNull();
    }

    @Test
    void aGatewaysServiceSelectsItsPodsAndExposesExactlyItsListenerPorts() {
        for (String[] gateway : new String[][] {{"edge", "web-meshwork", "LoadBalancer"},
                {"edge", "admin-meshwork", "ClusterIP"}, {"shop", "store-meshwork", "NodePort"}}) {
            Service service = gatewayObject(Service.class, gateway[0], gateway[1]);
            Deployment deployment = gatewayObject(Deployment.class, gateway[0], gateway[1]);
            var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);

            assertThat(service.getSpec().getType()).isEqualTo(gateway[2]);
            assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(service.getSpec().getSelector());
            assertThat(service.getSpec().getSelector()).containsEntry("gateway.networking.k8s.io/gateway-name",
                    gateway[1].replace("-meshwork", ""));
            List<Integer> listenerPorts = container.getPorts().stream().filter(p -> p.getName().startsWith("listener-"))
                    .map(p -> p.getContainerPort()).toList();
            assertThat(service.getSpec().getPorts()).extracting(p -> p.getPort()).containsExactlyElementsOf(listenerPorts);
            assertThat(service.getSpec().getPorts()).allSatisfy(p -> {
                assertThat(p.getTargetPort().getIntVal()).isEqualTo(p.getPort());
                assertThat(p.getProtocol()).isEqualTo("TCP");
            });
            // The service's ports are exactly the gateway's --name/--namespace Gateway's, never the admin or health ones.
            assertThat(service.getSpec().getPorts()).extracting(p -> p.getPort()).doesNotContain(15000, 15021, 15090);
        }
    }

    @Test
    void gatewayPortsAndNamesAreCheckedAndAGatewayFileGivesItsListenersPorts() {
        List<GatewayInstall> fromFile = GatewayInstall.fromYaml("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: meshwork}
                spec: {controllerName: meshwork.io/gateway-controller}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web, namespace: edge}
                spec:
                  gatewayClassName: meshwork
                  listeners:
                  - {name: http, port: 80, protocol: HTTP}
                  - {name: a, port: 443, protocol: HTTPS, hostname: a.example.com}
                  - {name: b, port: 443, protocol: HTTPS, hostname: b.example.com}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: internal}
                spec: {gatewayClassName: meshwork, listeners: [{name: http, port: 8080, protocol: HTTP}]}
                """, "gw.yaml", "default", "ClusterIP");

        assertThat(fromFile).extracting(GatewayInstall::toString)
                .containsExactly("edge/web [80, 443] clusterip", "default/internal [8080] clusterip");
        assertThatThrownBy(() -> GatewayInstall.ports("80,http")).hasMessage("--gateway-port \"http\" is not a port (1-65535)");
        assertThatThrownBy(() -> new GatewayInstall("edge", "web", List.of(0), null)).hasMessageContaining("not a port");
        assertThatThrownBy(() -> new GatewayInstall("Edge", "web", List.of(80), null))
                .hasMessageContaining("--gateway-namespace \"Edge\"");
        assertThatThrownBy(() -> new GatewayInstall("edge", "web", List.of(80), "External"))
                .hasMessage("--gateway-service-type \"External\" is not one of LoadBalancer, NodePort, ClusterIP");
        assertThatThrownBy(() -> GatewayInstall.fromYaml("kind: Service\n", "svc.yaml", "default", null))
                .hasMessage("svc.yaml: no Gateway (gateway.networking.k8s.io) in it");
        assertThatThrownBy(() -> InstallOptions.defaults().withGateways(List.of(
                new GatewayInstall("edge", "web", List.of(80), null), new GatewayInstall("edge", "web", List.of(443), null))))
                .hasMessage("gateway edge/web is given twice");
    }

    private static <T extends HasMetadata> T gatewayObject(Class<T> type, String namespace, String name) {
        return WITH_GATEWAYS.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> name.equals(o.getMetadata().getName()) && namespace.equals(o.getMetadata().getNamespace()))
                .findFirst().orElseThrow();
    }

    static List<HasMetadata> load(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\n")) {
            if (!document.isBlank()) {
                objects.add(FABRIC8.unmarshal(document));
            }
        }
        return objects;
    }

    private static CustomResourceDefinition crd(String name) {
        return named(DEFAULT, CustomResourceDefinition.class, name);
    }

    private static List<String> versions(String crd) {
        return crd(crd).getSpec().getVersions().stream().map(CustomResourceDefinitionVersion::getName).toList();
    }

    private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).reduce((a, b) -> {
            throw new AssertionError("more than one " + type.getSimpleName());
        }).orElseThrow();
    }

    private static <T extends HasMetadata> T named(List<HasMetadata> objects, Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static Secret secret(List<HasMetadata> objects, String name) {
        return named(objects, Secret.class, name);
    }
}
