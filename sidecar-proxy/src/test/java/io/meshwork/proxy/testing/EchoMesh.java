package io.meshwork.proxy.testing;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A mesh like the Gateway API conformance suite's: echo backends {@code echo-v1}, {@code echo-v2} and {@code echo-v3}
 * on loopback (each behind a Service of its name, port 8080), more Services selecting all of them, the documents a
 * test adds (routes), the real control plane reading them from a folder, and a sidecar of workload
 * {@value SidecarHarness#WORKLOAD} to send requests through.
 */
public final class EchoMesh implements AutoCloseable {

    public static final List<String> VERSIONS = List.of("v1", "v2", "v3");

    private final List<TestBackend> backends = new ArrayList<>();
    private final ControlPlane controlPlane;
    public final SidecarHarness harness;

    /**
     * @param services Services of port 8080 selecting every echo backend (the parents of routes)
     * @param documents anything else, as YAML documents
     */
    public EchoMesh(Path configDir, List<String> services, List<String> documents) throws Exception {
        List<String> mesh = new ArrayList<>();
        for (String version : VERSIONS) {
            TestBackend backend = new TestBackend("echo-" + version);
            backends.add(backend);
            mesh.add(MeshConfigFolder.workload("echo-" + version, Map.of("app", "echo", "version", version), "http",
                    backend.port()));
            mesh.add(MeshConfigFolder.service("echo-" + version, 8080, "http", Map.of("app", "echo", "version", version)));
        }
        services.forEach(name -> mesh.add(MeshConfigFolder.service(name, 8080, "http", Map.of("app", "echo"))));
        new MeshConfigFolder(configDir).write("mesh.yaml", mesh.toArray(String[]::new))
                .write("routes.yaml", documents.toArray(String[]::new));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        harness = new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort());
    }

    /** Another sidecar, of a workload of {@code namespace}, configured by the same control plane; the caller closes it. */
    public SidecarHarness sidecarIn(String namespace) throws InterruptedException {
        return new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort(), namespace);
    }

    /** An HTTPRoute in {@code default} named after its parent Service {@code service}, with {@code rules} (YAML list). */
    public static String route(String service, String rules) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: %s, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: %s}]
                  rules:
                """.formatted(service, service) + rules.indent(2);
    }

    /** GET {@code url} through the sidecar with {@code headers} (name, value, ...); redirects are not followed. */
    public HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return harness.client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The echo backend that answered (the body's first word), or the status when the sidecar answered itself. */
    public String reached(String url, String... headers) throws Exception {
        HttpResponse<String> response = get(url, headers);
        return response.statusCode() == 200 ? response.body().split(" ")[0] : String.valueOf(response.statusCode());
    }

    @Override
    public void close() throws Exception {
        harness.close();
        controlPlane.close();
        backends.forEach(TestBackend::close);
    }
}
