package io.meshwork.proxy.gateway;

import static io.meshwork.proxy.testing.MeshConfigFolder.meshedWorkload;
import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.GatewayProxy;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.GatewayMesh;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.MeshSidecar;
import io.meshwork.proxy.testing.TestBackend;
import io.meshwork.proxy.testing.TestIdentities;
import io.meshwork.proxy.xds.NodeIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway calls a meshed backend whose port is STRICT over mutual TLS, presenting its own workload certificate
 * from the mesh's CA, as a sidecar would: the backend's sidecar forwards the gateway's SPIFFE ID to the app.
 */
class GatewayMutualTlsTest {

    @TempDir
    Path configDir;

    @Test
    void theGatewayCallsAStrictMeshedBackendOverMutualTlsWithItsOwnIdentity() throws Exception {
        TestIdentities ca = new TestIdentities("mesh root");
        int port = FreePort.pick();
        int reviewsPort = FreePort.pick();
        try (TestBackend app = new TestBackend("reviews-app")) {
            new MeshConfigFolder(configDir).write("mesh.yaml", GatewayMesh.GATEWAY_CLASS,
                    service("reviews", 9080, "http", Map.of("app", "reviews")),
                    meshedWorkload("reviews-1", Map.of("app", "reviews"), "reviews", Map.of("http", reviewsPort),
                            Map.of("http", app.port())),
                    MeshConfigFolder.strictMtls("reviews"),
                    GatewayMesh.gateway("- {name: http, port: %d, protocol: HTTP}".formatted(port)), """
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: HTTPRoute
                    metadata: {name: reviews, namespace: default}
                    spec:
                      parentRefs: [{name: web}]
                      rules: [{backendRefs: [{name: reviews, port: 9080}]}]
                    """);
            ControlPlane controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir);
            controlPlane.trust(ca.trust());
            controlPlane.start();
            SidecarProxy reviews = null;
            GatewayProxy gateway = null;
            try {
                reviews = MeshSidecar.start(controlPlane.xdsPort(), "reviews-1", "reviews",
                        WorkloadCertificateSource.fixed(ca.issue("default", "reviews", Duration.ofHours(1))));
                gateway = new GatewayProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                        NodeIdentity.gateway("web", "default", "web-gateway", "test", "", ""), "127.0.0.1", 0, 0, 0, 0,
                        0, Duration.ofSeconds(1), 1, AppProbes.none(),
                        WorkloadCertificateSource.fixed(ca.issue("default", "web-gateway", Duration.ofHours(1))))).start();
                SidecarProxy reviewsSidecar = reviews;
                GatewayProxy started = gateway;
                Eventually.await(Duration.ofSeconds(20), "reviews' inbound and the gateway's listener",
                        () -> reviewsSidecar.listenerPort("inbound|" + reviewsPort) > 0
                                && started.proxy().listenerPort("0.0.0.0_" + port) == port);

                String response = GatewayMesh.get(port, "reviews.example.com", "/hello");

                assertThat(response).startsWith("HTTP/1.1 200").contains("reviews-app /hello");
                assertThat(response.toLowerCase()).contains("x-seen-x-forwarded-client-cert: by="
                        + "spiffe://cluster.local/ns/default/sa/reviews;uri=spiffe://cluster.local/ns/default/sa/web-gateway");
            } finally {
                if (gateway != null) {
                    gateway.close();
                }
                if (reviews != null) {
                    reviews.drainAndStop();
                }
                controlPlane.close();
            }
        }
    }
}
