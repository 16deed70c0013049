package io.meshwork.proxy.testing;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.GatewayProxy;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.xds.NodeIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An edge for gateway tests: echo backends on loopback behind Services {@code store} and {@code blog} (namespace
 * default) and {@code orders} (namespace shop), Meshwork's GatewayClass, the documents a test gives (a Gateway
 * {@code default/web}, routes, Secrets) in a watched folder, the real control plane, and a {@code mesh gateway} for
 * {@code default/web} in-process on loopback, started once its listeners on {@code ports} are bound.
 */
public final class GatewayMesh implements AutoCloseable {

    public static final String GATEWAY_CLASS = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: meshwork}
            spec: {controllerName: meshwork.io/gateway-controller}
            """;

    /** The Gateway {@code default/web} of class meshwork with {@code listeners} (a YAML list). */
    public static String gateway(String listeners) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web, namespace: default}
                spec:
                  gatewayClassName: meshwork
                  listeners:
                """ + listeners.indent(2);
    }

    private final List<TestBackend> backends = new ArrayList<>();
    private final ControlPlane controlPlane;
    public final MeshConfigFolder config;
    public final GatewayProxy gateway;

    public GatewayMesh(Path configDir, List<Integer> ports, String... documents) throws Exception {
        List<String> mesh = new ArrayList<>();
        mesh.add(GATEWAY_CLASS);
        for (String[] app : new String[][] {{"store", "default"}, {"blog", "default"}, {"orders", "shop"}}) {
            TestBackend backend = new TestBackend(app[0]);
            backends.add(backend);
            mesh.add(MeshConfigFolder.workload(app[0] + "-1", Map.of("app", app[0]), "http", backend.port())
                    .replace("namespace: default", "namespace: " + app[1]));
            mesh.add(MeshConfigFolder.service(app[0], 8080, "http", Map.of("app", app[0]))
                    .replace("namespace: default", "namespace: " + app[1]));
        }
        config = new MeshConfigFolder(configDir).write("mesh.yaml", mesh.toArray(String[]::new))
                .write("gateway.yaml", documents);
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        gateway = new GatewayProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                NodeIdentity.gateway("web", "default", "web", "test", "", ""), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(1), 1, AppProbes.none(), null)).start();
        Eventually.await(Duration.ofSeconds(20), "the gateway's listeners on " + ports, () -> ports.stream()
                .allMatch(port -> gateway.proxy().listenerPort("0.0.0.0_" + port) == port));
    }

    /** What a client gets for {@code GET path} with {@code Host: host} on the gateway's plaintext {@code port}. */
    public static String get(int port, String host, String path) throws java.io.IOException {
        return RawExchange.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    }

    @Override
    public void close() throws Exception {
        gateway.close();
        controlPlane.close();
        backends.forEach(TestBackend::close);
    }
}
