package io.meshwork.proxy.route;

import static io.meshwork.proxy.testing.EchoMesh.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.EchoMesh;
import io.meshwork.proxy.testing.Eventually;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.ScriptedBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPRoute {@code RequestMirror} end to end, as the conformance suite's {@code MeshHTTPRouteRequestMirror} checks it
 * (the mirror backend gets the request, the client gets the real backend's answer) and beyond: the shadow's Host says
 * {@code -shadow}, a shadow that hangs or fails never touches the client's answer, {@code percent} mirrors that share,
 * and the sidecar counts shadows by the status they got.
 */
class GammaMirrorTest {

    @TempDir
    static Path configDir;
    private static final Queue<String> SHADOW_HOSTS = new ConcurrentLinkedQueue<>();
    private static ScriptedBackend shadow;
    private static ScriptedBackend half;
    private static EchoMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        // Fails every shadow with 500; one for a /slow path first waits 10 s, longer than the client's whole test.
        shadow = new ScriptedBackend("shadow", exchange -> {
            SHADOW_HOSTS.add(exchange.getRequestHeaders().getFirst("Host") + " "
                    + exchange.getRequestHeaders().getFirst("Content-Length"));
            if (exchange.getRequestURI().getPath().startsWith("/slow")) {
                Thread.sleep(10_000);
            }
            return 500;
        });
        half = new ScriptedBackend("half", exchange -> 200);
        mesh = new EchoMesh(configDir, List.of("mirror", "sampled"), List.of(
                MeshConfigFolder.workload("shadow-0", Map.of("app", "shadow"), "http", shadow.port()),
                MeshConfigFolder.service("shadow", 8080, "http", Map.of("app", "shadow")),
                MeshConfigFolder.workload("half-0", Map.of("app", "half"), "http", half.port()),
                MeshConfigFolder.service("half", 8080, "http", Map.of("app", "half")),
                route("mirror", """
                        - backendRefs: [{name: echo-v1, port: 8080}]
                          filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 8080}}}]
                        """),
                route("sampled", """
                        - backendRefs: [{name: echo-v1, port: 8080}]
                          filters: [{type: RequestMirror, requestMirror: {backendRef: {name: half, port: 8080}, percent: 50}}]
                        """)));
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
        shadow.close();
        half.close();
    }

    @Test
    void theShadowGetsACopyMarkedShadowAndTheClientNeverWaitsForItsHangOrFailure() throws Exception {
        int before = shadow.requests();
        for (int i = 0; i < 10; i++) {
            String body = "hello-" + i;
            HttpResponse<String> response = mesh.harness.client.send(HttpRequest.newBuilder(
                    URI.create("http://mirror:8080/slow/" + i)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("echo-v1 /slow/" + i);
        }
        // Every client answer came while the shadows still hung: none of them has answered yet.
        assertThat(shadow.failures()).isZero();
        Eventually.await(Duration.ofSeconds(10), "10 shadows at the mirror backend", () -> shadow.requests() - before == 10);
        assertThat(SHADOW_HOSTS).contains("mirror-shadow:8080 7");
    }

    @Test
    void shadowsAreCountedByTheStatusTheyGot() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(mesh.reached("http://mirror:8080/fast")).isEqualTo("echo-v1");
        }
        Eventually.await(Duration.ofSeconds(10), "5 failed shadows counted", () -> mirrored("shadow", 500) >= 5);
    }

    @Test
    void percentMirrorsThatShareOfRequests() throws Exception {
        int total = 400;
        int before = half.requests();
        for (int i = 0; i < total; i++) {
            assertThat(mesh.reached("http://sampled:8080/" + i)).isEqualTo("echo-v1");
        }
        Eventually.await(Duration.ofSeconds(10), "the shadows counted", () -> mirrored("half", 200) == half.requests());
        int mirrored = half.requests() - before;
        System.out.println("GammaMirrorTest percent 50 over " + total + " requests: " + mirrored + " mirrored");
        assertThat(mirrored("half", 0)).as("shadows without an answer").isZero();
        assertThat(mirrored / (double) total).isBetween(0.35, 0.65);
    }

    /** {@code mesh_mirrored_requests_total} of {@code service} with {@code code}, from the sidecar's 15090 (0: none). */
    private static int mirrored(String service, int code) {
        String metrics;
        try {
            metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + mesh.harness.sidecar.metricsPort() + "/stats/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException("scraping the sidecar's metrics", e);
        }
        Matcher line = Pattern.compile("mesh_mirrored_requests_total\\{[^}]*destination_service=\"" + service
                + "\",response_code=\"" + code + "\"[^}]*} (\\d+)").matcher(metrics);
        return line.find() ? Integer.parseInt(line.group(1)) : 0;
    }
}
