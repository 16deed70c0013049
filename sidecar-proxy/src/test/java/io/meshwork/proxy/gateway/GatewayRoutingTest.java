package io.meshwork.proxy.gateway;

import static io.meshwork.proxy.testing.GatewayMesh.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.FreePort;
import io.meshwork.proxy.testing.GatewayMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh gateway} end to end over plaintext HTTP, modelled on the Gateway API conformance suite's core gateway
 * tests ({@code HTTPRouteHostnameIntersection}, {@code HTTPRouteMatching}, {@code HTTPRouteCrossNamespace},
 * {@code HTTPRouteReferenceGrant}): a Gateway and HTTPRoutes in a watched folder, the real control plane, the gateway
 * in-process listening on its listener's port on loopback, and echo backends that answer with their name and the path.
 */
class GatewayRoutingTest {

    private static final int PORT = FreePort.pick();
    private static final String GATEWAY = GatewayMesh.gateway("""
            - name: http
              port: %d
              protocol: HTTP
              hostname: "*.example.com"
              allowedRoutes: {namespaces: {from: All}}
            """.formatted(PORT));
    private static final String ROUTES = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: store, namespace: default}
            spec:
              parentRefs: [{name: web}]
              hostnames: [store.example.com, store.example.org]
              rules:
              - matches: [{path: {type: PathPrefix, value: /blog}}]
                backendRefs: [{name: blog, port: 8080}]
              - backendRefs: [{name: store, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: wildcard, namespace: default}
            spec:
              parentRefs: [{name: web, sectionName: http}]
              rules:
              - filters:
                - {type: RequestRedirect, requestRedirect: {hostname: store.example.com, statusCode: 301}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: orders, namespace: shop}
            spec:
              parentRefs: [{name: web, namespace: default}]
              hostnames: [orders.example.com]
              rules:
              - matches: [{path: {type: PathPrefix, value: /store}}]
                backendRefs: [{name: store, namespace: default, port: 8080}]
              - backendRefs: [{name: orders, port: 8080}]
            """;
    private static final String GRANT = """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: shop-routes, namespace: default}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
              to: [{group: "", kind: Service, name: store}]
            """;

    @TempDir
    static Path configDir;
    private static GatewayMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new GatewayMesh(configDir, List.of(PORT), GATEWAY, ROUTES);
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void theHostnameAndThePathPickTheBackend() throws Exception {
        assertThat(get(PORT, "store.example.com", "/cart")).startsWith("HTTP/1.1 200").endsWith("store /cart");
        assertThat(body(get(PORT, "store.example.com:" + PORT, "/blog/post"))).isEqualTo("blog /blog/post");
        assertThat(body(get(PORT, "STORE.example.com", "/blogs"))).as("not a path segment of /blog").isEqualTo("store /blogs");
    }

    @Test
    void aRouteHostnameOutsideTheListenersIsNotServedThere() throws Exception {
        assertThat(get(PORT, "store.example.org", "/")).as("store.example.org does not intersect *.example.com")
                .startsWith("HTTP/1.1 404");
    }

    @Test
    void aRouteWithoutHostnamesTakesTheListenersWildcard() throws Exception {
        String response = get(PORT, "anything.else.example.com", "/x?y=1");

        assertThat(response).startsWith("HTTP/1.1 301");
        assertThat(response).containsIgnoringCase("location: http://store.example.com:" + PORT + "/x?y=1");
    }

    @Test
    void aRouteOfAnotherNamespaceIsAllowedByTheListenerAndReachesItsOwnBackends() throws Exception {
        assertThat(body(get(PORT, "orders.example.com", "/o/1"))).isEqualTo("orders /o/1");
    }

    @Test
    void aBackendInAnotherNamespaceIsRefusedUntilAReferenceGrantAllowsIt() throws Exception {
        assertThat(get(PORT, "orders.example.com", "/store/1")).as("RefNotPermitted: its share answers 500")
                .startsWith("HTTP/1.1 500");
        mesh.config.write("grant.yaml", GRANT);
        try {
            Eventually.await(Duration.ofSeconds(10), "the granted backend routed", () -> {
                try {
                    return get(PORT, "orders.example.com", "/store/1").endsWith("store /store/1");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        } finally {
            java.nio.file.Files.delete(configDir.resolve("grant.yaml"));
        }
    }
}
