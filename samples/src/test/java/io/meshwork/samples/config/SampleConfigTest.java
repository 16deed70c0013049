package io.meshwork.samples.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The sample configs hang together before any control plane reads them: every reference
 * names an existing object, every Service selects a workload, local workloads do not collide.
 */
class SampleConfigTest {

    private static final Path LOCAL = Path.of("local");
    private static final Path LOCAL_EXTRA = Path.of("local-extra");
    private static final Path KUBERNETES = Path.of("kubernetes");
    private static final Path KUBERNETES_EXTRA = Path.of("kubernetes-extra");

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> load(Path... folders) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Path folder : folders) {
            try (Stream<Path> files = Files.list(folder)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                    for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))) {
                        if (doc != null) {
                            docs.add((Map<String, Object>) doc);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return docs;
    }

    private static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> doc, String... path) {
        Map<String, Object> at = doc;
        for (String key : path) {
            at = (Map<String, Object>) at.getOrDefault(key, Map.of());
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> doc, String... path) {
        Map<String, Object> parent = map(doc, java.util.Arrays.copyOf(path, path.length - 1));
        return (List<Map<String, Object>>) parent.getOrDefault(path[path.length - 1], List.of());
    }

    private static String name(Map<String, Object> doc) {
        return (String) map(doc, "metadata").get("name");
    }

    private static Set<String> names(List<Map<String, Object>> docs) {
        Set<String> names = new HashSet<>();
        docs.forEach(d -> names.add(name(d)));
        return names;
    }

    private static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
        return !selector.isEmpty() && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    @Test
    void localObjectsAreAllInNamespaceDefault() {
        for (Map<String, Object> doc : load(LOCAL, LOCAL_EXTRA)) {
            if ("GatewayClass".equals(doc.get("kind"))) {
                assertThat(map(doc, "metadata")).as("GatewayClass is cluster-scoped").doesNotContainKey("namespace");
                continue;
            }
            assertThat(map(doc, "metadata").get("namespace")).as(doc.get("kind") + " " + name(doc)).isEqualTo("default");
        }
    }

    @Test
    void everySplitBackendRouteGroupAndRootIsDefined() {
        for (Path[] folders : List.of(new Path[] {LOCAL}, new Path[] {KUBERNETES})) {
            List<Map<String, Object>> docs = load(folders);
            Set<String> services = names(ofKind(docs, "Service"));
            Set<String> groups = names(ofKind(docs, "HTTPRouteGroup"));
            for (Map<String, Object> split : ofKind(docs, "TrafficSplit")) {
                assertThat(services).as("root of TrafficSplit " + name(split)).contains((String) map(split, "spec").get("service"));
                for (Map<String, Object> backend : list(split, "spec", "backends")) {
                    assertThat(services).as("backend of TrafficSplit " + name(split)).contains((String) backend.get("service"));
                }
                for (Map<String, Object> match : list(split, "spec", "matches")) {
                    assertThat(groups).as("match of TrafficSplit " + name(split)).contains((String) match.get("name"));
                }
            }
        }
    }

    @Test
    void everyLocalServiceSelectsWorkloadsThatHaveItsTargetPort() {
        List<Map<String, Object>> docs = load(LOCAL, LOCAL_EXTRA);
        for (Map<String, Object> service : ofKind(docs, "Service")) {
            List<Map<String, Object>> selected = ofKind(docs, "Workload").stream()
                    .filter(w -> selects(map(service, "spec", "selector"), map(w, "metadata", "labels")))
                    .toList();
            assertThat(selected).as("workloads of Service " + name(service)).isNotEmpty();
            for (Map<String, Object> port : list(service, "spec", "ports")) {
                for (Map<String, Object> workload : selected) {
                    assertThat(map(workload, "spec", "ports")).as("ports of Workload " + name(workload))
                            .containsKey((String) port.get("targetPort"));
                    assertThat(map(workload, "spec", "appPorts")).as("appPorts of Workload " + name(workload))
                            .containsKey((String) port.get("targetPort"));
                }
            }
        }
    }

    @Test
    void localWorkloadsHaveDistinctLoopbackAddressesAndAppPorts() {
        Set<Object> addresses = new HashSet<>();
        Set<Object> appPorts = new HashSet<>();
        for (Map<String, Object> workload : ofKind(load(LOCAL, LOCAL_EXTRA), "Workload")) {
            String address = (String) map(workload, "spec").get("address");
            assertThat(address).as("address of Workload " + name(workload)).startsWith("127.").isNotEqualTo("127.0.0.1");
            assertThat(addresses.add(address)).as("address of Workload " + name(workload) + " is unique").isTrue();
            for (Object port : map(workload, "spec", "appPorts").values()) {
                assertThat(appPorts.add(port)).as("appPort " + port + " of Workload " + name(workload) + " is unique").isTrue();
            }
        }
    }

    @Test
    void kubernetesRunsTheSameSplitsAsLocalMode() {
        List<Map<String, Object>> local = ofKind(load(LOCAL), "TrafficSplit");
        List<Map<String, Object>> kubernetes = ofKind(load(KUBERNETES), "TrafficSplit");

        assertThat(kubernetes).extracting(d -> d.get("spec")).isEqualTo(local.stream().map(d -> d.get("spec")).toList());
    }

    @Test
    void everyKubernetesServiceSelectsADeploymentsPods() {
        List<Map<String, Object>> docs = load(KUBERNETES, KUBERNETES_EXTRA);
        for (Map<String, Object> service : ofKind(docs, "Service")) {
            assertThat(ofKind(docs, "Deployment"))
                    .as("Deployments selected by Service " + name(service))
                    .anyMatch(d -> selects(map(service, "spec", "selector"), map(d, "spec", "template", "metadata", "labels")));
        }
    }

    /**
     * The ingress samples hang together: each Gateway's class is Meshwork's, each route's Gateway parent and backend
     * exist (the backend with that port), and each listener certificate is a Secret in the folder or, on a cluster, one
     * the file tells how to make with kubectl in the Gateway's namespace.
     */
    @Test
    void everyGatewaysClassRoutesBackendsAndCertificatesAreThereOrMadeAsTheFileSays() throws IOException {
        for (Path folder : List.of(LOCAL, KUBERNETES)) {
            List<Map<String, Object>> docs = load(folder);
            List<Map<String, Object>> gateways = ofKind(docs, "Gateway");
            assertThat(gateways).as("an ingress sample in " + folder).isNotEmpty();
            Set<String> ourClasses = new HashSet<>();
            ofKind(docs, "GatewayClass").stream()
                    .filter(c -> "meshwork.io/gateway-controller".equals(map(c, "spec").get("controllerName")))
                    .forEach(c -> ourClasses.add(name(c)));
            String texts = String.join("\n", Files.list(folder).filter(f -> f.toString().endsWith(".yaml"))
                    .map(f -> {
                        try {
                            return Files.readString(f);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }).toList());
            for (Map<String, Object> gateway : gateways) {
                String namespace = (String) map(gateway, "metadata").get("namespace");
                assertThat(ourClasses).as("class of Gateway " + name(gateway))
                        .contains((String) map(gateway, "spec").get("gatewayClassName"));
                for (Map<String, Object> listener : list(gateway, "spec", "listeners")) {
                    for (Map<String, Object> certificate : list(listener, "tls", "certificateRefs")) {
                        String secret = (String) certificate.get("name");
                        boolean inFolder = ofKind(docs, "Secret").stream().anyMatch(d -> secret.equals(name(d))
                                && namespace.equals(map(d, "metadata").get("namespace"))
                                && "kubernetes.io/tls".equals(d.get("type")));
                        boolean madeWithKubectl = texts.contains("kubectl create secret tls " + secret + " -n " + namespace
                                + " --cert=");
                        assertThat(inFolder || madeWithKubectl).as(folder + ": Secret " + namespace + "/" + secret
                                + " of Gateway " + name(gateway) + " listener " + listener.get("name")).isTrue();
                    }
                }
            }
            for (Map<String, Object> route : ofKind(docs, "HTTPRoute")) {
                String namespace = (String) map(route, "metadata").get("namespace");
                for (Map<String, Object> parent : list(route, "spec", "parentRefs")) {
                    if (parent.get("kind") == null || "Gateway".equals(parent.get("kind"))) {
                        assertThat(gateways).as(folder + ": Gateway parent of HTTPRoute " + name(route))
                                .anyMatch(g -> name(g).equals(parent.get("name"))
                                        && namespace.equals(map(g, "metadata").get("namespace")));
                    }
                }
                for (Map<String, Object> rule : list(route, "spec", "rules")) {
                    for (Map<String, Object> backend : (List<Map<String, Object>>) rule.getOrDefault("backendRefs", List.of())) {
                        assertThat(ofKind(load(folder), "Service")).as(folder + ": backend " + backend.get("name")
                                + " of HTTPRoute " + name(route)).anyMatch(svc -> name(svc).equals(backend.get("name"))
                                && namespace.equals(map(svc, "metadata").get("namespace"))
                                && list(svc, "spec", "ports").stream().anyMatch(p -> p.get("port").equals(backend.get("port"))));
                    }
                }
            }
        }
    }
}
