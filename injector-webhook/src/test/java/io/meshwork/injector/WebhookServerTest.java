package io.meshwork.injector;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.zjsonpatch.JsonPatch;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** AdmissionReviews over real HTTPS; every patch is applied with zjsonpatch and the pod checked field by field. */
class WebhookServerTest extends SharedWebhook {

    @Test
    void answerEchoesTheUidAndAllowsWithABase64JsonPatch() throws Exception {
        JsonNode answer = webhook.review(WebhookFixture.pod("pod-from-deployment.json"), "uid-1234");

        assertThat(answer.path("apiVersion").asString()).isEqualTo("admission.k8s.io/v1");
        assertThat(answer.path("kind").asString()).isEqualTo("AdmissionReview");
        JsonNode response = answer.path("response");
        assertThat(response.path("uid").asString()).isEqualTo("uid-1234");
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(response.path("patchType").asString()).isEqualTo("JSONPatch");
        assertThat(patchOf(answer).isArray()).isTrue();
    }

    @Test
    void nativeSidecarComesAfterMeshInitAndBeforeTheUsersInitContainers() throws Exception {
        Pod pod = injected("pod-from-deployment.json");

        assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName)
                .containsExactly("mesh-init", "mesh-proxy", "migrate");
        assertThat(pod.getSpec().getContainers()).extracting(Container::getName)
                .containsExactly("reviews", "ratings-cache");
        Container proxy = pod.getSpec().getInitContainers().get(1);
        assertThat(proxy.getRestartPolicy()).isEqualTo("Always");
        assertThat(proxy.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
        assertThat(proxy.getStartupProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
    }

    @Test
    void sidecarRunsAsTheProxyUserWithNothingToEscalate() throws Exception {
        Container proxy = container(injected("pod-from-deployment.json"), "mesh-proxy");

        var sc = proxy.getSecurityContext();
        assertThat(sc.getRunAsUser()).isEqualTo(1337L);
        assertThat(sc.getRunAsGroup()).isEqualTo(1337L);
        assertThat(sc.getRunAsNonRoot()).isTrue();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(proxy.getImage()).isEqualTo("ghcr.io/meshwork/meshwork-proxy:0.1.0");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
        assertThat(proxy.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(15090));
    }

    @Test
    void sidecarRunsMeshProxyWithTheDownwardApiIdentity() throws Exception {
        Container proxy = container(injected("pod-from-deployment.json"), "mesh-proxy");

        assertThat(proxy.getArgs()).containsSequence("proxy", "--xds",
                "meshwork-control-plane.meshwork-system.svc:15012", "--workload", "$(POD_NAME)", "--namespace",
                "$(POD_NAMESPACE)", "--service-account", "$(SERVICE_ACCOUNT)", "--bind-address", "0.0.0.0",
                "--admin-bind-address", "127.0.0.1");
        assertThat(proxy.getArgs()).containsSequence("--outbound-port", "15001", "--inbound-port", "15006",
                "--admin-port", "15000", "--health-port", "15021", "--metrics-port", "15090");
        assertThat(proxy.getArgs()).containsSequence("--token-file", "/var/run/secrets/tokens/meshwork-token",
                "--ca-address", "meshwork-control-plane.meshwork-system.svc:15012",
                "--ca-root-file", "/var/run/secrets/meshwork/root-cert.pem");
        Map<String, String> fieldPaths = new java.util.HashMap<>();
        for (EnvVar env : proxy.getEnv()) {
            if (env.getValueFrom() != null) {
                fieldPaths.put(env.getName(), env.getValueFrom().getFieldRef().getFieldPath());
            }
        }
        assertThat(fieldPaths).containsExactlyInAnyOrderEntriesOf(Map.of(
                "POD_NAME", "metadata.name", "POD_NAMESPACE", "metadata.namespace",
                "INSTANCE_IP", "status.podIP", "SERVICE_ACCOUNT", "spec.serviceAccountName"));
    }

    @Test
    void sidecarGetsDefaultResourcesFromTheConfig() throws Exception {
        Container proxy = container(injected("pod-from-deployment.json"), "mesh-proxy");

        assertThat(proxy.getResources().getRequests()).containsOnlyKeys("cpu", "memory");
        assertThat(proxy.getResources().getRequests().get("cpu").toString()).isEqualTo("100m");
        assertThat(proxy.getResources().getRequests().get("memory").toString()).isEqualTo("128Mi");
        assertThat(proxy.getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
    }

    @Test
    void meshInitHasOnlyNetAdminAndNetRawAndExcludesTheHealthPorts() throws Exception {
        Container init = container(injected("pod-from-deployment.json"), "mesh-init");

        assertThat(init.getSecurityContext().getCapabilities().getAdd()).containsExactly("NET_ADMIN", "NET_RAW");
        assertThat(init.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(init.getSecurityContext().getPrivileged()).isFalse();
        assertThat(init.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(init.getArgs()).containsExactly("init-iptables", "-p", "15001", "-z", "15006", "-u", "1337",
                "-g", "1337", "-b", "*", "-d", "15021,15090", "-i", "*");
    }

    @Test
    void existingVolumesStayAndTheTokenRootCertAndTmpVolumesAreAdded() throws Exception {
        Pod pod = injected("pod-from-deployment.json");

        assertThat(pod.getSpec().getVolumes()).extracting(Volume::getName).containsExactly(
                "config", "kube-api-access-x7k2q", "meshwork-token", "meshwork-ca-root-cert", "meshwork-tmp");
        Volume token = pod.getSpec().getVolumes().get(2);
        var source = token.getProjected().getSources().get(0).getServiceAccountToken();
        assertThat(source.getAudience()).isEqualTo("meshwork-ca");
        assertThat(source.getPath()).isEqualTo("meshwork-token");
        Volume rootCert = pod.getSpec().getVolumes().get(3);
        assertThat(rootCert.getConfigMap().getName()).isEqualTo("meshwork-ca-root-cert");
        assertThat(container(pod, "mesh-proxy").getVolumeMounts()).extracting("name", "mountPath").containsExactly(
                org.assertj.core.groups.Tuple.tuple("meshwork-token", "/var/run/secrets/tokens"),
                org.assertj.core.groups.Tuple.tuple("meshwork-ca-root-cert", "/var/run/secrets/meshwork"),
                org.assertj.core.groups.Tuple.tuple("meshwork-tmp", "/tmp"));
    }

    @Test
    void appProbesGoThroughTheSidecarHealthPort() throws Exception {
        Pod pod = injected("pod-from-deployment.json");
        Container reviews = container(pod, "reviews");
        Container cache = container(pod, "ratings-cache");

        assertThat(reviews.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/app-health/reviews/livez");
        assertThat(reviews.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
        assertThat(reviews.getLivenessProbe().getPeriodSeconds()).isEqualTo(10);
        assertThat(reviews.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/app-health/reviews/readyz");
        assertThat(reviews.getReadinessProbe().getInitialDelaySeconds()).isEqualTo(3);
        assertThat(reviews.getStartupProbe().getTcpSocket()).isNull();
        assertThat(reviews.getStartupProbe().getHttpGet().getPath()).isEqualTo("/app-health/reviews/startupz");
        assertThat(cache.getReadinessProbe().getGrpc()).isNull();
        assertThat(cache.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/app-health/ratings-cache/readyz");
        assertThat(cache.getLivenessProbe().getExec().getCommand()).containsExactly("cache-ctl", "ping");
    }

    @Test
    void originalProbesAreKeptInTheSidecarWithNamedPortsResolved() throws Exception {
        Container proxy = container(injected("pod-from-deployment.json"), "mesh-proxy");
        String probers = proxy.getEnv().stream().filter(e -> e.getName().equals("MESH_KUBE_APP_PROBERS"))
                .findFirst().orElseThrow().getValue();

        JsonNode originals = YamlDocuments.JSON.readTree(probers);
        assertThat(originals.propertyNames()).containsExactly("/app-health/reviews/livez",
                "/app-health/reviews/readyz", "/app-health/reviews/startupz", "/app-health/ratings-cache/readyz");
        JsonNode live = originals.path("/app-health/reviews/livez");
        assertThat(live.path("httpGet").path("port").asInt()).isEqualTo(9080);
        assertThat(live.path("httpGet").path("path").asString()).isEqualTo("/health/live");
        assertThat(live.path("httpGet").path("httpHeaders").get(0).path("value").asString()).isEqualTo("kubelet");
        assertThat(live.path("timeoutSeconds").asInt()).isEqualTo(2);
        assertThat(originals.path("/app-health/reviews/startupz").path("tcpSocket").path("port").asInt())
                .isEqualTo(9080);
        assertThat(originals.path("/app-health/ratings-cache/readyz").path("grpc").path("port").asInt())
                .isEqualTo(7070);
    }

    @Test
    void statusAndPrometheusAnnotationsAreAdded() throws Exception {
        Pod pod = injected("pod-from-deployment.json");
        Map<String, String> annotations = pod.getMetadata().getAnnotations();

        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "15090")
                .containsEntry("prometheus.io/path", "/stats/prometheus");
        JsonNode status = YamlDocuments.JSON.readTree(annotations.get("meshwork.io/status"));
        assertThat(status.path("initContainers").toString()).isEqualTo("[\"mesh-init\",\"mesh-proxy\"]");
        assertThat(status.path("volumes").toString())
                .isEqualTo("[\"meshwork-token\",\"meshwork-ca-root-cert\",\"meshwork-tmp\"]");
    }

    @Test
    void everythingTheUserWroteIsStillThere() throws Exception {
        ObjectNode original = WebhookFixture.pod("pod-from-deployment.json");
        Pod pod = injected("pod-from-deployment.json");

        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "reviews").containsEntry("version", "v2");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo("reviews-v2-7f9c6d5b8"));
        Container reviews = container(pod, "reviews");
        assertThat(reviews.getEnv()).extracting(EnvVar::getName).containsExactly("LOG_LEVEL");
        assertThat(reviews.getResources().getRequests().get("cpu").toString()).isEqualTo("250m");
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("reviews");
        assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(30L);
        assertThat(original.path("spec").path("dnsPolicy").asString()).isEqualTo(pod.getSpec().getDnsPolicy());
    }

    @Test
    void resendingTheInjectedPodYieldsNoPatch() throws Exception {
        ObjectNode original = WebhookFixture.pod("pod-from-deployment.json");
        JsonNode patched = JsonPatch.apply(patchOf(webhook.review(original, null)), original);

        JsonNode second = webhook.review(patched, "uid-again");

        assertThat(second.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(second.path("response").has("patch")).isFalse();
        assertThat(second.path("response").has("warnings")).isFalse();
    }

    @Test
    void podWithoutInitContainersVolumesOrAnnotationsGetsTheParentsAdded() throws Exception {
        ObjectNode bare = WebhookFixture.pod("pod-bare.json");
        JsonNode patch = patchOf(webhook.review(bare, null));

        assertThat(paths(patch)).contains("/spec/initContainers", "/spec/volumes", "/metadata/annotations");
        Pod pod = toPod(JsonPatch.apply(patch, bare));
        assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName)
                .containsExactly("mesh-init", "mesh-proxy");
        assertThat(pod.getSpec().getVolumes()).hasSize(3);
        assertThat(pod.getMetadata().getAnnotations()).containsKeys("meshwork.io/status", "prometheus.io/scrape");
    }

    @Test
    void annotationKeysWithSlashesAreEscapedInPatchPaths() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("team~owner/name", "payments");

        JsonNode patch = patchOf(webhook.review(pod, null));

        assertThat(paths(patch)).contains("/metadata/annotations/meshwork.io~1status",
                "/metadata/annotations/prometheus.io~1port");
        Pod injected = toPod(JsonPatch.apply(patch, pod));
        assertThat(injected.getMetadata().getAnnotations()).containsEntry("team~owner/name", "payments")
                .containsKey("meshwork.io/status");
    }

    @Test
    void podsOfOlderClustersGetTheSidecarFirstWithAPostStartWait(@TempDir Path other) throws Exception {
        try (WebhookFixture old = new WebhookFixture(other, InjectorConfig.defaults()
                .with(Map.of("kubernetesVersion", "1.28")))) {
            ObjectNode original = WebhookFixture.pod("pod-from-deployment.json");
            Pod pod = toPod(JsonPatch.apply(patchOf(old.review(original, null)), original));

            assertThat(pod.getSpec().getContainers()).extracting(Container::getName)
                    .containsExactly("mesh-proxy", "reviews", "ratings-cache");
            // User init containers run before capture starts: no proxy is there yet to serve them.
            assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName)
                    .containsExactly("migrate", "mesh-init");
            Container proxy = pod.getSpec().getContainers().get(0);
            assertThat(proxy.getRestartPolicy()).isNull();
            assertThat(proxy.getLifecycle().getPostStart().getExec().getCommand().get(2))
                    .contains("http://127.0.0.1:15021/healthz/ready");
        }
    }

    @Test
    void proxyResourceAnnotationsOverrideTheConfig() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("metadata")).putObject("annotations")
                .put("meshwork.io/proxy-cpu", "300m").put("meshwork.io/proxy-memory", "2Gi");

        Container proxy = container(toPod(JsonPatch.apply(patchOf(webhook.review(pod, null)), pod)), "mesh-proxy");

        assertThat(proxy.getResources().getRequests().get("cpu").toString()).isEqualTo("300m");
        assertThat(proxy.getResources().getRequests().get("memory").toString()).isEqualTo("2Gi");
        // 2Gi is above the 1Gi default limit: the limit follows, else the pod would be invalid.
        assertThat(proxy.getResources().getLimits().get("memory").toString()).isEqualTo("2Gi");
    }

    @Test
    void proxyResourceAnnotationThatIsNotAQuantityKeepsTheDefaultAndWarns() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("meshwork.io/proxy-cpu", "lots");

        JsonNode answer = webhook.review(pod, null);

        Container proxy = container(toPod(JsonPatch.apply(patchOf(answer), pod)), "mesh-proxy");
        assertThat(proxy.getResources().getRequests().get("cpu").toString()).isEqualTo("100m");
        assertThat(answer.path("response").path("warnings").get(0).asString())
                .isEqualTo("annotation meshwork.io/proxy-cpu: \"lots\" is not a quantity; using 100m");
    }

    @Test
    void hostNetworkPodsAreLeftAlone() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("spec")).put("hostNetwork", true);

        assertThat(webhook.review(pod, null).path("response").has("patch")).isFalse();
    }

    @Test
    void podLabelFalseOptsOutEvenWhenTheAnnotationSaysTrue() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ObjectNode metadata = (ObjectNode) pod.get("metadata");
        metadata.putObject("labels").put("meshwork.io/inject", "false");
        metadata.putObject("annotations").put("meshwork.io/inject", "true");

        assertThat(webhook.review(pod, null).path("response").has("patch")).isFalse();
    }

    @Test
    void podAnnotationFalseOptsOut() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("meshwork.io/inject", "false");

        assertThat(webhook.review(pod, null).path("response").has("patch")).isFalse();
    }

    @Test
    void podWithAContainerNamedMeshProxyIsNotInjectedAgain() throws Exception {
        ObjectNode pod = WebhookFixture.pod("pod-bare.json");
        ((ObjectNode) pod.get("spec").get("containers").get(0)).put("name", "mesh-proxy");

        assertThat(webhook.review(pod, null).path("response").has("patch")).isFalse();
    }

    @Test
    void healthzAnswersOk() throws Exception {
        var response = webhook.client.send(java.net.http.HttpRequest.newBuilder(webhook.uri("/healthz")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
    }

    static JsonNode patchOf(JsonNode answer) {
        String patch = answer.path("response").path("patch").asString(null);
        assertThat(patch).as("patch in %s", answer).isNotNull();
        return YamlDocuments.JSON.readTree(Base64.getDecoder().decode(patch));
    }

    static List<String> paths(JsonNode patch) {
        List<String> paths = new java.util.ArrayList<>();
        patch.forEach(op -> paths.add(op.path("path").asString()));
        return paths;
    }

    static Pod injected(String resource) throws Exception {
        ObjectNode original = WebhookFixture.pod(resource);
        return toPod(JsonPatch.apply(patchOf(webhook.review(original, null)), original));
    }

    static Pod toPod(JsonNode json) {
        return YamlDocuments.JSON.treeToValue(json, Pod.class);
    }

    static Container container(Pod pod, String name) {
        return java.util.stream.Stream.concat(pod.getSpec().getInitContainers().stream(),
                        pod.getSpec().getContainers().stream())
                .filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }
}
