package io.meshwork.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.EchoMesh;
import io.meshwork.proxy.testing.SidecarHarness;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GAMMA consumer routes end to end, as the conformance suite's {@code MeshConsumerRoute} checks them: an HTTPRoute in
 * namespace {@code consumer} attached to Service {@code default/echo} changes the calls of sidecars in
 * {@code consumer} only, overriding the Service's own (producer) route there; a sidecar in {@code default} and one in
 * a third namespace keep the producer route.
 */
class GammaConsumerRouteTest {

    @TempDir
    static Path configDir;
    private static EchoMesh mesh;
    private static SidecarHarness consumer;
    private static SidecarHarness elsewhere;

    @BeforeAll
    static void start() throws Exception {
        mesh = new EchoMesh(configDir, List.of("echo"), List.of(
                EchoMesh.route("echo", """
                        - backendRefs: [{name: echo-v2, port: 8080}]
                          filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-Route, value: producer}]}}]
                        """),
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: echo-for-consumer, namespace: consumer}
                spec:
                  parentRefs: [{group: "", kind: Service, name: echo, namespace: default, port: 8080}]
                  rules:
                  - backendRefs: [{name: echo, namespace: default, port: 8080}]
                    filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-Header-Set, value: set}]}}]
                  - matches: [{path: {value: /granted}}]
                    backendRefs: [{name: echo-v1, namespace: default, port: 8080}]
                """));
        consumer = mesh.sidecarIn("consumer");
        elsewhere = mesh.sidecarIn("elsewhere");
    }

    @AfterAll
    static void stop() throws Exception {
        consumer.close();
        elsewhere.close();
        mesh.close();
    }

    private static HttpResponse<String> get(SidecarHarness sidecar, String url) throws Exception {
        return sidecar.client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theConsumerNamespacesCallsTakeItsRoute() throws Exception {
        HttpResponse<String> response = get(consumer, "http://echo.default:8080/");

        assertThat(response.statusCode()).as("its backendRef to the Service it routes needs no ReferenceGrant")
                .isEqualTo(200);
        assertThat(response.body()).startsWith("echo-v");
        assertThat(response.headers().firstValue("x-header-set")).hasValue("set");
        assertThat(response.headers().firstValue("x-route")).as("the producer route is overridden here").isEmpty();
        assertThat(get(consumer, "http://echo.default:8080/granted").statusCode())
                .as("another Service of default needs a ReferenceGrant there (none here): its share answers 500")
                .isEqualTo(500);
    }

    @Test
    void theProducersAndOtherNamespacesCallsKeepTheProducerRoute() throws Exception {
        for (SidecarHarness sidecar : List.of(mesh.harness, elsewhere)) {
            HttpResponse<String> response = get(sidecar, "http://echo.default:8080/");
            assertThat(response.body()).isEqualTo("echo-v2 /");
            assertThat(response.headers().firstValue("x-route")).hasValue("producer");
            assertThat(response.headers().firstValue("x-header-set")).isEmpty();
        }
    }
}
