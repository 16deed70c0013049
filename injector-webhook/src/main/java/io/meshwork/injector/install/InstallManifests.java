package io.meshwork.injector.install;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.meshwork.certs.CaDirectory;
import io.meshwork.certs.CertificateAuthority;
import io.meshwork.certs.IssuedCertificate;
import io.meshwork.certs.LeafRequest;
import io.meshwork.certs.Pem;
import io.meshwork.injector.InjectorConfig;
import io.meshwork.injector.MeshNames;
import io.meshwork.injector.YamlDocuments;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The manifests {@code mesh install} prints: namespace, CRDs, service accounts and least-privilege
 * RBAC, the CA and webhook certificates, the control plane and webhook Deployments and Services,
 * and the MutatingWebhookConfiguration.
 */
public final class InstallManifests {

    static final String NS = MeshNames.SYSTEM_NAMESPACE;
    static final String CONTROL_PLANE = "meshwork-control-plane";
    static final String WEBHOOK = "meshwork-webhook";
    static final String WEBHOOK_TLS_SECRET = "meshwork-webhook-tls";
    static final String MESH_CA_SECRET = "meshwork-ca";
    /** Where the control plane's container mounts {@link #MESH_CA_SECRET}, its {@code --ca-dir}. */
    static final String CA_DIR = "/etc/meshwork/ca";
    static final String INJECTOR_CONFIGMAP = "meshwork-injector";
    private static final Duration TEN_YEARS = Duration.ofDays(3650);
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final InstallOptions options;

    public InstallManifests(InstallOptions options) {
        this.options = options;
    }

    /** The injector config the installed webhook runs with. */
    public InjectorConfig injectorConfig() {
        return InjectorConfig.defaults().with(Map.of(
                "proxyImage", options.image("proxy"),
                "xdsAddress", options.named(CONTROL_PLANE) + "." + NS + ".svc:" + MeshNames.XDS_PLAINTEXT_PORT,
                "kubernetesVersion", options.kubernetesVersion()));
    }

    /** Every object, in the order {@code kubectl apply} needs them (namespace and CRDs first). */
    public List<JsonNode> documents() {
        WebhookCertificate webhookCertificate = webhookCertificate();
        CertificateAuthority meshCa = options.meshCa() != null ? options.meshCa()
                : CertificateAuthority.createSelfSigned("meshwork root CA", TEN_YEARS);

        List<JsonNode> documents = new ArrayList<>();
        documents.add(tree(new NamespaceBuilder().withMetadata(meta(NS, null)).build()));
        documents.addAll(crds());
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(new ServiceAccountBuilder().withMetadata(meta(options.named(CONTROL_PLANE), NS)).build());
        objects.add(new ServiceAccountBuilder().withMetadata(meta(options.named(WEBHOOK), NS))
                // the webhook never calls the API server
                .withAutomountServiceAccountToken(false).build());
        objects.addAll(controlPlaneRbac());
        if (options.multicluster()) {
            objects.addAll(remoteReader());
        }
        objects.add(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withMetadata(meta(options.named(WEBHOOK_TLS_SECRET), NS))
                .withType("kubernetes.io/tls")
                .addToStringData("tls.crt", webhookCertificate.chainPem())
                .addToStringData("tls.key", webhookCertificate.keyPem())
                .addToStringData("ca.crt", webhookCertificate.caPem())
                .build());
        // The CA folder the control plane signs workload certificates with (--ca-dir CA_DIR): Istio's cacerts files.
        objects.add(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withMetadata(meta(MESH_CA_SECRET, NS))
                .withStringData(CaDirectory.files(meshCa))
                .build());
        objects.add(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withMetadata(meta(MeshNames.ROOT_CERT_CONFIGMAP, NS))
                .addToData(CaDirectory.ROOT_CERT, Pem.write(meshCa.root()))
                .build());
        objects.add(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withMetadata(meta(options.named(INJECTOR_CONFIGMAP), NS))
                .addToData("config.yaml", YamlDocuments.writeOne(tree(injectorConfig().toMap())))
                .build());
        objects.add(controlPlaneDeployment());
        objects.add(service(options.named(CONTROL_PLANE), List.of(
                port("grpc-xds", MeshNames.XDS_PLAINTEXT_PORT, MeshNames.XDS_PLAINTEXT_PORT),
                port("https-xds", MeshNames.XDS_TLS_PORT, MeshNames.XDS_TLS_PORT),
                port("http-monitoring", MeshNames.MONITORING_PORT, MeshNames.MONITORING_PORT))));
        objects.add(webhookDeployment());
        objects.add(service(options.named(WEBHOOK), List.of(port("https-webhook", 443, MeshNames.WEBHOOK_PORT))));
        objects.add(mutatingWebhook(webhookCertificate.caPem()));
        objects.addAll(gateways());
        objects.forEach(o -> documents.add(tree(o)));
        return documents;
    }

    public String yaml() {
        return YamlDocuments.write(documents());
    }

    private List<HasMetadata> controlPlaneRbac() {
        String name = options.named(CONTROL_PLANE);
        List<PolicyRule> rules = List.of(
                // Read-only on everything it watches: informers list and watch, they never get.
                rule("", List.of("services", "pods", "namespaces", "nodes"), "list", "watch"),
                rule("gateway.networking.k8s.io", List.of("gateways", "gatewayclasses", "referencegrants"), "list", "watch"),
                rule("discovery.k8s.io", List.of("endpointslices"), "list", "watch"),
                rule("specs.smi-spec.io", List.of("httproutegroups"), "list", "watch"),
                rule("access.smi-spec.io", List.of("traffictargets"), "list", "watch"),
                rule("meshwork.io", List.of("workloads", "peerauthentications", "sidecars", "meshtimeouts", "meshretries",
                        "meshcircuitbreakers", "meshfaultinjections", "meshratelimits", "meshmirrors"), "list", "watch"),
                // Written: the canary controller steps split weights, or those of the HTTPRoute or GRPCRoute that
                // overrides the split (read, then update with the resourceVersion read), checking that each backend is a Service.
                rule("split.smi-spec.io", List.of("trafficsplits"), "list", "watch", "update"),
                rule("gateway.networking.k8s.io", List.of("httproutes", "grpcroutes"), "list", "watch", "update"),
                // Written: the Gateway API status (Accepted, ResolvedRefs) of HTTPRoutes attached to Services.
                rule("gateway.networking.k8s.io", List.of("httproutes/status", "grpcroutes/status"), "update"),
                rule("gateway.networking.k8s.io", List.of("gateways/status", "gatewayclasses/status"), "update"),
                rule("", List.of("services"), "get"),
                // Canary objects: the leader runs them and records their status.
                rule("meshwork.io", List.of("canaries"), "get", "list", "watch"),
                rule("meshwork.io", List.of("canaries/status"), "patch"),
                // Written: the root certificate ConfigMap in every meshed namespace.
                rule("", List.of("configmaps"), "get", "list", "watch", "create", "update", "patch"),
                // Written: why a TrafficSplit or HTTPRouteGroup is not applied (reason InvalidConfig).
                rule("", List.of("events"), "create"),
                // Written: the Lease that makes one replica the writer (leader election).
                rule("coordination.k8s.io", List.of("leases"), "get", "create", "patch"),
                // Workload CSRs are authenticated by their ServiceAccount token.
                rule("authentication.k8s.io", List.of("tokenreviews"), "create"));
        return List.of(
                new ClusterRoleBuilder().withMetadata(meta(name, null)).withRules(rules).build(),
                new ClusterRoleBindingBuilder().withMetadata(meta(name, null))
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name)
                        .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(NS).endSubject()
                        .build(),
                // The CA key is a Secret: readable in meshwork-system only, and only that one; with --multicluster
                // also the remote clusters' kubeconfig Secrets there (a label selector cannot be a grant).
                options.multicluster()
                        ? new RoleBuilder().withMetadata(meta(name, NS)).addToRules(new PolicyRuleBuilder()
                                .withApiGroups("").withResources("secrets").withResourceNames(MESH_CA_SECRET)
                                .withVerbs("get", "watch").build(), new PolicyRuleBuilder()
                                .withApiGroups("").withResources("secrets").withVerbs("list", "watch").build()).build()
                        : new RoleBuilder().withMetadata(meta(name, NS)).addToRules(new PolicyRuleBuilder()
                                .withApiGroups("").withResources("secrets").withResourceNames(MESH_CA_SECRET)
                                .withVerbs("get", "watch").build()).build(),
                new RoleBindingBuilder().withMetadata(meta(name, NS))
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
                        .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(NS).endSubject()
                        .build());
    }

    /**
     * Per namespace of a {@code --gateway}: a Role and RoleBinding that let the control plane read the Secrets there (its
     * ClusterRole reads none: only the namespaces of installed gateways are granted); per gateway: its ServiceAccount,
     * the {@code mesh gateway} Deployment and its Service.
     */
    private List<HasMetadata> gateways() {
        List<HasMetadata> objects = new ArrayList<>();
        java.util.Set<String> granted = new java.util.LinkedHashSet<>();
        for (GatewayInstall gateway : options.gateways()) {
            if (granted.add(gateway.namespace())) {
                objects.addAll(gatewaySecretsGrant(gateway.namespace()));
            }
            objects.add(new ServiceAccountBuilder().withMetadata(meta(gateway.objectName(), gateway.namespace())).build());
            objects.add(gatewayDeployment(gateway));
            objects.add(new ServiceBuilder().withMetadata(meta(gateway.objectName(), gateway.namespace()))
                    .withNewSpec().withType(gateway.serviceType()).withSelector(gatewayLabels(gateway))
                    .withPorts(gateway.ports().stream().map(p -> port(listenerPortName(p), p, p)).toList())
                    .endSpec().build());
        }
        return objects;
    }

    /** The name of the Role and RoleBinding in a gateway namespace that let the control plane read its Secrets. */
    public String gatewaySecretsRole() {
        return options.named(CONTROL_PLANE) + "-gateway-secrets";
    }

    private List<HasMetadata> gatewaySecretsGrant(String namespace) {
        String name = gatewaySecretsRole();
        return List.of(
                // get, list and watch: the control plane watches the kubernetes.io/tls Secrets of this namespace's
                // Gateways' HTTPS listeners. Only here: the grant is what `mesh install --gateway` adds per namespace.
                new RoleBuilder().withMetadata(meta(name, namespace))
                        .addToRules(rule("", List.of("secrets"), "get", "list", "watch")).build(),
                new RoleBindingBuilder().withMetadata(meta(name, namespace))
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
                        .addNewSubject().withKind("ServiceAccount").withName(options.named(CONTROL_PLANE)).withNamespace(NS)
                        .endSubject()
                        .build());
    }

    /** The pod labels of a gateway, which its Deployment and Service select by. */
    static Map<String, String> gatewayLabels(GatewayInstall gateway) {
        Map<String, String> labels = new LinkedHashMap<>();
        // The Gateway API's own label for the pods of a Gateway (as Istio and Envoy Gateway set it).
        labels.put("gateway.networking.k8s.io/gateway-name", gateway.name());
        labels.put("app", gateway.objectName());
        return labels;
    }

    static String listenerPortName(int port) {
        return "listener-" + port;
    }

    private Deployment gatewayDeployment(GatewayInstall gateway) {
        String xds = options.named(CONTROL_PLANE) + "." + NS + ".svc:" + MeshNames.XDS_PLAINTEXT_PORT;
        String ca = io.meshwork.injector.InjectionTemplate.caAddress(xds);
        List<ContainerPort> ports = new ArrayList<>();
        gateway.ports().forEach(p -> ports.add(containerPort(listenerPortName(p), p)));
        ports.add(containerPort("status-port", MeshNames.HEALTH_PORT));
        ports.add(containerPort("http-mesh-prom", MeshNames.METRICS_PORT));
        Container container = component(new ContainerBuilder()
                .withName("gateway")
                .withImage(options.image("proxy"))
                // As an injected sidecar's: xDS over TLS on the CA's port, authenticated by the projected token of
                // its ServiceAccount (<gateway>-meshwork, the only account the control plane serves this Gateway's
                // config and keys to), and a workload certificate from the CA for mTLS to meshed backends.
                .withArgs("gateway",
                        "--xds", ca,
                        "--name", gateway.name(),
                        "--namespace", gateway.namespace(),
                        "--service-account", gateway.objectName(),
                        "--instance", "$(POD_NAME)",
                        "--bind-address", "0.0.0.0",
                        "--admin-bind-address", "127.0.0.1",
                        "--admin-port", String.valueOf(MeshNames.ADMIN_PORT),
                        "--health-port", String.valueOf(MeshNames.HEALTH_PORT),
                        "--metrics-port", String.valueOf(MeshNames.METRICS_PORT),
                        "--token-file", io.meshwork.injector.InjectionTemplate.TOKEN_PATH + "/"
                                + io.meshwork.injector.InjectionTemplate.TOKEN_FILE,
                        "--ca-address", ca,
                        "--ca-root-file", io.meshwork.injector.InjectionTemplate.ROOT_CERT_PATH + "/"
                                + io.meshwork.injector.InjectionTemplate.ROOT_CERT_FILE)
                .withEnv(fieldEnv("POD_NAME", "metadata.name"), fieldEnv("INSTANCE_IP", "status.podIP"))
                .withPorts(ports)
                .withNewReadinessProbe().withNewHttpGet().withPath("/healthz/ready")
                    .withPort(new IntOrString(MeshNames.HEALTH_PORT)).endHttpGet()
                    .withPeriodSeconds(2).withTimeoutSeconds(3).withFailureThreshold(4).endReadinessProbe()
                .addNewVolumeMount().withName(MeshNames.TOKEN_VOLUME)
                    .withMountPath(io.meshwork.injector.InjectionTemplate.TOKEN_PATH).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(MeshNames.ROOT_CERT_VOLUME)
                    .withMountPath(io.meshwork.injector.InjectionTemplate.ROOT_CERT_PATH).withReadOnly(true)
                    .endVolumeMount(),
                "100m", "128Mi", "2", "1Gi");
        Map<String, String> labels = gatewayLabels(gateway);
        io.fabric8.kubernetes.api.model.PodSpecBuilder pod = new io.fabric8.kubernetes.api.model.PodSpecBuilder()
                .withServiceAccountName(gateway.objectName())
                .withContainers(container)
                .withVolumes(io.meshwork.injector.InjectionTemplate.identityVolumes().stream()
                        .filter(v -> !v.getName().equals(io.meshwork.injector.InjectionTemplate.TMP_VOLUME)).toList())
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume();
        if (gateway.ports().stream().anyMatch(p -> p < 1024)) {
            // Listener ports below 1024 as the non-root proxy user, as Istio's gateways bind them (a safe sysctl).
            pod.withNewSecurityContext().addNewSysctl().withName("net.ipv4.ip_unprivileged_port_start").withValue("0")
                    .endSysctl().endSecurityContext();
        }
        return new DeploymentBuilder()
                .withMetadata(meta(gateway.objectName(), gateway.namespace()))
                .withNewSpec()
                    .withReplicas(1)
                    .withNewSelector().withMatchLabels(labels).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels)
                            // A gateway is the proxy itself: never injected with a sidecar.
                            .addToLabels(MeshNames.INJECT, "false")
                            .addToLabels(MeshNames.COMPONENT_LABEL, "gateway").endMetadata()
                        .withSpec(pod.build())
                    .endTemplate()
                .endSpec()
                .build();
    }

    private static io.fabric8.kubernetes.api.model.EnvVar fieldEnv(String name, String fieldPath) {
        return new io.fabric8.kubernetes.api.model.EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef()
                .withApiVersion("v1").withFieldPath(fieldPath).endFieldRef().endValueFrom().build();
    }

    private List<String> controlPlaneArgs() {
        List<String> args = new ArrayList<>(List.of("control-plane", "--kubernetes", "--address", "0.0.0.0",
                "--xds-port", String.valueOf(MeshNames.XDS_PLAINTEXT_PORT),
                "--admin-port", String.valueOf(MeshNames.MONITORING_PORT), "--ca-dir", CA_DIR));
        if (options.cluster() != null) {
            args.addAll(List.of("--cluster", options.cluster()));
        }
        if (options.multicluster()) {
            args.add("--multicluster");
        }
        return args;
    }

    /**
     * What the other clusters' control planes read here with the token of {@code mesh create-remote-secret}: a
     * ServiceAccount and read-only access to Services, Pods, Nodes and EndpointSlices (as Istio's reader account).
     */
    private List<HasMetadata> remoteReader() {
        String name = InstallOptions.READER;
        return List.of(
                new ServiceAccountBuilder().withMetadata(meta(name, NS)).build(),
                new ClusterRoleBuilder().withMetadata(meta(name, null)).withRules(
                        rule("", List.of("services", "pods", "nodes"), "list", "watch"),
                        rule("discovery.k8s.io", List.of("endpointslices"), "list", "watch")).build(),
                new ClusterRoleBindingBuilder().withMetadata(meta(name, null))
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name)
                        .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(NS).endSubject()
                        .build());
    }

    private Deployment controlPlaneDeployment() {
        String name = options.named(CONTROL_PLANE);
        Container container = component(new ContainerBuilder()
                .withName("control-plane")
                .withImage(options.image("control-plane"))
                // All interfaces: the sidecars of every pod dial it through its Service.
                .withArgs(controlPlaneArgs())
                .withPorts(containerPort("grpc-xds", MeshNames.XDS_PLAINTEXT_PORT),
                        containerPort("https-xds", MeshNames.XDS_TLS_PORT),
                        containerPort("http-monitoring", MeshNames.MONITORING_PORT))
                .withNewReadinessProbe().withNewHttpGet().withPath("/ready")
                    .withPort(new IntOrString(MeshNames.MONITORING_PORT)).endHttpGet()
                    .withPeriodSeconds(3).endReadinessProbe()
                .addNewVolumeMount().withName("ca").withMountPath(CA_DIR).withReadOnly(true).endVolumeMount(),
                "500m", "1Gi", "2", "2Gi");
        Deployment deployment = deployment(name, 1, container, new VolumeBuilder().withName("ca").withNewSecret()
                .withSecretName(MESH_CA_SECRET).endSecret().build());
        // `mesh proxy-status` and `mesh analyze` find the control planes of every revision by this label.
        return new DeploymentBuilder(deployment).editSpec().editTemplate().editMetadata()
                .addToLabels(MeshNames.COMPONENT_LABEL, MeshNames.CONTROL_PLANE_COMPONENT).endMetadata().endTemplate().endSpec().build();
    }

    private Deployment webhookDeployment() {
        String name = options.named(WEBHOOK);
        Container container = component(new ContainerBuilder()
                .withName("webhook")
                .withImage(options.image("webhook"))
                .withArgs("webhook",
                        "--tls-cert", "/etc/meshwork/webhook/tls.crt",
                        "--tls-key", "/etc/meshwork/webhook/tls.key",
                        "--config", "/etc/meshwork/injector/config.yaml",
                        "--port", String.valueOf(MeshNames.WEBHOOK_PORT))
                .withPorts(containerPort("https-webhook", MeshNames.WEBHOOK_PORT))
                .withNewReadinessProbe().withNewHttpGet().withPath("/healthz").withScheme("HTTPS")
                    .withPort(new IntOrString(MeshNames.WEBHOOK_PORT)).endHttpGet()
                    .withPeriodSeconds(3).endReadinessProbe()
                .addNewVolumeMount().withName("tls").withMountPath("/etc/meshwork/webhook").withReadOnly(true)
                    .endVolumeMount()
                .addNewVolumeMount().withName("config").withMountPath("/etc/meshwork/injector").withReadOnly(true)
                    .endVolumeMount(),
                "100m", "256Mi", "1", "512Mi");
        // Two replicas: with failurePolicy Fail, no webhook means no new pods in meshed namespaces.
        return deployment(name, 2, container,
                new VolumeBuilder().withName("tls").withNewSecret().withSecretName(options.named(WEBHOOK_TLS_SECRET))
                        .endSecret().build(),
                new VolumeBuilder().withName("config").withNewConfigMap().withName(options.named(INJECTOR_CONFIGMAP))
                        .endConfigMap().build());
    }

    /**
     * Two webhooks, as Istio has: one for pods in namespaces that opted in (unless the pod opts
     * out), one for pods that opt in themselves with the label {@code meshwork.io/inject=true} in
     * any other namespace. objectSelector sees only labels, so the annotation form of the pod's
     * choice works only inside opted-in namespaces.
     */
    private HasMetadata mutatingWebhook(String caPem) {
        String selectorKey = options.revision().isEmpty() ? MeshNames.NAMESPACE_INJECTION_LABEL : MeshNames.REVISION_LABEL;
        String selectorValue = options.revision().isEmpty() ? MeshNames.NAMESPACE_INJECTION_ENABLED : options.revision();
        String prefix = options.revision().isEmpty() ? "" : options.revision() + ".";
        String caBundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
        return new MutatingWebhookConfigurationBuilder()
                .withMetadata(meta(options.named("meshwork-sidecar-injector"), null))
                .withWebhooks(
                        webhook(prefix + "namespace.sidecar-injector.meshwork.io", caBundle,
                                new LabelSelectorBuilder().addToMatchLabels(selectorKey, selectorValue).build(),
                                new LabelSelectorBuilder().addNewMatchExpression().withKey(MeshNames.INJECT)
                                        .withOperator("NotIn").withValues("false").endMatchExpression().build()),
                        webhook(prefix + "object.sidecar-injector.meshwork.io", caBundle,
                                new LabelSelectorBuilder()
                                        .addNewMatchExpression().withKey(selectorKey).withOperator("NotIn")
                                            .withValues(selectorValue).endMatchExpression()
                                        .addNewMatchExpression().withKey("kubernetes.io/metadata.name")
                                            .withOperator("NotIn").withValues("kube-system", NS).endMatchExpression()
                                        .build(),
                                new LabelSelectorBuilder().addToMatchLabels(MeshNames.INJECT, "true").build()))
                .build();
    }

    private MutatingWebhook webhook(String name, String caBundle, LabelSelector namespaces, LabelSelector pods) {
        return new MutatingWebhookBuilder()
                .withName(name)
                .withNewClientConfig()
                    .withNewService().withName(options.named(WEBHOOK)).withNamespace(NS).withPath("/inject")
                        .withPort(443).endService()
                    .withCaBundle(caBundle)
                .endClientConfig()
                .addNewRule().withOperations("CREATE").withApiGroups("").withApiVersions("v1")
                    .withResources("pods").withScope("Namespaced").endRule()
                .withNamespaceSelector(namespaces)
                .withObjectSelector(pods)
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Fail")
                .withTimeoutSeconds(10)
                .withReinvocationPolicy("IfNeeded")
                .withMatchPolicy("Equivalent")
                .build();
    }

    private record WebhookCertificate(String caPem, String chainPem, String keyPem) {
    }

    private WebhookCertificate webhookCertificate() {
        if (options.webhookCertificateGiven()) {
            X509Certificate ca = Pem.readCertificates(options.webhookCaPem(), "--webhook-ca").get(0);
            X509Certificate cert = Pem.readCertificates(options.webhookCertPem(), "--webhook-cert").get(0);
            Pem.readPrivateKey(options.webhookKeyPem(), "--webhook-key");
            try {
                cert.verify(ca.getPublicKey());
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalArgumentException("--webhook-cert " + cert.getSubjectX500Principal()
                        + " is not signed by --webhook-ca " + ca.getSubjectX500Principal(), e);
            }
            return new WebhookCertificate(options.webhookCaPem(), options.webhookCertPem(), options.webhookKeyPem());
        }
        CertificateAuthority ca = CertificateAuthority.createSelfSigned("meshwork webhook CA", TEN_YEARS);
        String service = options.named(WEBHOOK);
        IssuedCertificate serving = ca.issue(LeafRequest.forDnsNames(TEN_YEARS,
                service + "." + NS + ".svc", service + "." + NS + ".svc.cluster.local", service + "." + NS));
        return new WebhookCertificate(ca.certificatePem(), serving.chainPem(), serving.privateKeyPem());
    }

    private List<JsonNode> crds() {
        try (InputStream in = InstallManifests.class.getResourceAsStream("crds.yaml")) {
            return YamlDocuments.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), "crds.yaml");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled CRDs", e);
        }
    }

    private Container component(ContainerBuilder container, String cpu, String memory, String cpuLimit,
            String memoryLimit) {
        return container
                .withImagePullPolicy("IfNotPresent")
                .withNewResources()
                    .addToRequests("cpu", new Quantity(cpu)).addToRequests("memory", new Quantity(memory))
                    .addToLimits("cpu", new Quantity(cpuLimit)).addToLimits("memory", new Quantity(memoryLimit))
                .endResources()
                .withNewSecurityContext()
                    .withRunAsUser(MeshNames.PROXY_UID).withRunAsGroup(MeshNames.PROXY_GID).withRunAsNonRoot(true)
                    .withReadOnlyRootFilesystem(true).withAllowPrivilegeEscalation(false)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .build();
    }

    private Deployment deployment(String name, int replicas, Container container, Volume... volumes) {
        Map<String, String> labels = Map.of("app", name);
        return new DeploymentBuilder()
                .withMetadata(meta(name, NS))
                .withNewSpec()
                    .withReplicas(replicas)
                    .withNewSelector().withMatchLabels(labels).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels)
                            // The mesh's own pods are never injected.
                            .addToLabels(MeshNames.INJECT, "false").endMetadata()
                        .withNewSpec()
                            .withServiceAccountName(name)
                            .withContainers(container)
                            .withVolumes(volumes)
                            .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    private static HasMetadata service(String name, List<ServicePort> ports) {
        return new ServiceBuilder().withMetadata(meta(name, NS))
                .withNewSpec().addToSelector("app", name).withPorts(ports).endSpec().build();
    }

    private static ServicePort port(String name, int port, int targetPort) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(new IntOrString(targetPort))
                .withProtocol("TCP").build();
    }

    private static ContainerPort containerPort(String name, int port) {
        return new ContainerPortBuilder().withName(name).withContainerPort(port).withProtocol("TCP").build();
    }

    private static PolicyRule rule(String apiGroup, List<String> resources, String... verbs) {
        return new PolicyRuleBuilder().withApiGroups(apiGroup).withResources(resources).withVerbs(verbs).build();
    }

    private static ObjectMeta meta(String name, String namespace) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/part-of", "meshwork");
        return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels).build();
    }

    private static JsonNode tree(Object object) {
        return JSON.valueToTree(object);
    }
}
