package io.meshwork.proxy.testing;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * For resilience tests: Service {@code pay:8080} on the given backends (workloads {@code pay-0}, {@code pay-1}, ...),
 * the policies given, the real local-mode control plane watching that folder and a sidecar configured by it.
 */
public final class PayMesh implements AutoCloseable {

    public static final String URL = "http://pay:8080/";
    /** The prefix of the pay cluster's counters on the admin's {@code /stats}. */
    public static final String STATS = "cluster.outbound|8080||pay.default.svc.cluster.local.";

    public final ControlPlane controlPlane;
    public final SidecarHarness harness;

    public PayMesh(Path configDir, List<ScriptedBackend> backends, String... policies) throws Exception {
        this(configDir, backends.stream().mapToInt(ScriptedBackend::port).toArray(), List.of(), policies);
    }

    /** Service pay on backends listening on {@code ports}, with {@code documents} (more Services and workloads). */
    public static PayMesh on(Path configDir, int[] ports, List<String> documents, String... policies) throws Exception {
        return new PayMesh(configDir, ports, documents, policies);
    }

    private PayMesh(Path configDir, int[] ports, List<String> more, String[] policies) throws Exception {
        List<String> documents = new ArrayList<>();
        documents.add(service("pay", 8080, "http", Map.of("app", "pay")));
        for (int i = 0; i < ports.length; i++) {
            documents.add(workload("pay-" + i, Map.of("app", "pay"), "http", ports[i]));
        }
        documents.addAll(more);
        new MeshConfigFolder(configDir).write("mesh.yaml", documents.toArray(String[]::new))
                .write("policies.yaml", policies);
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        harness = new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort());
    }

    /** A policy of {@code kind} named default/pay, aimed at {@code targetRef}, with {@code spec}'s fields. */
    public static String policy(String kind, String targetRef, String spec) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: %s
                metadata: {name: pay, namespace: default}
                spec:
                  targetRef: %s
                """.formatted(kind, targetRef) + spec.indent(2);
    }

    /** GET of one of the sidecar's own ports (admin or metrics), not through it. */
    public String fetch(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    public String adminStats() throws Exception {
        return fetch(harness.sidecar.adminPort(), "/stats");
    }

    @Override
    public void close() throws Exception {
        harness.close();
        controlPlane.close();
    }
}
