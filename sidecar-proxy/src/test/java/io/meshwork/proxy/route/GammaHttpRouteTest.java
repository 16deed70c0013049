package io.meshwork.proxy.route;

import static io.meshwork.proxy.testing.EchoMesh.route;
import static io.meshwork.proxy.testing.MeshConfigFolder.trafficSplit;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.EchoMesh;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway API HTTPRoutes with Service parents (GAMMA) end to end, modelled on the conformance suite's mesh profile
 * ({@code MeshHTTPRouteMatching}, {@code MeshTrafficSplit}, {@code MeshHTTPRouteWeight},
 * {@code MeshHTTPRouteQueryParamMatching}, {@code MeshPorts}): YAML in a watched folder, the real control plane, the
 * sidecar, echo backends on loopback that answer with their name and the path they got. Each case checks what the
 * suite checks: the backend (or status) a request reaches.
 */
class GammaHttpRouteTest {

    @TempDir
    static Path configDir;
    private static EchoMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        List<String> documents = new ArrayList<>();
        documents.add("""
                apiVersion: v1
                kind: Service
                metadata: {name: ported, namespace: default}
                spec:
                  selector: {app: echo, version: v1}
                  ports: [{name: web, port: 80, targetPort: http}, {name: http, port: 8080, targetPort: http}]
                """);
        documents.add(trafficSplit("legacy", "legacy", Map.of("echo-v2", 100)));
        documents.addAll(List.of(
                route("matching", """
                        - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
                          backendRefs: [{name: echo-v2, port: 8080}]
                        """),
                route("split", """
                        - matches: [{path: {type: Exact, value: /v1}}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{path: {type: Exact, value: /v2}}]
                          backendRefs: [{name: echo-v2, port: 8080}]
                        """),
                route("weighted", """
                        - backendRefs:
                          - {name: echo-v1, port: 8080, weight: 70}
                          - {name: echo-v2, port: 8080, weight: 30}
                          - {name: echo-v3, port: 8080, weight: 0}
                        """),
                route("animals", """
                        - matches: [{queryParams: [{name: animal, value: whale}]}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{queryParams: [{name: animal, value: dolphin}]}]
                          backendRefs: [{name: echo-v2, port: 8080}]
                        - matches: [{headers: [{name: version, value: one}], queryParams: [{name: animal, value: whale}]}]
                          backendRefs: [{name: echo-v2, port: 8080}]
                        - matches:
                          - path: {type: Exact, value: /path3}
                            queryParams: [{type: RegularExpression, name: animal, value: "sha.*"}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        """),
                route("timed", """
                        - matches: [{path: {value: /slow}, headers: [{name: x-timeout, value: request}]}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                          timeouts: {request: 500ms}
                        - matches: [{path: {value: /slow}, headers: [{name: x-timeout, value: try}]}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                          timeouts: {request: 10s, backendRequest: 300ms}
                        """),
                route("broken", """
                        - backendRefs: [{name: echo-v1, port: 8080}, {name: echo-v9, port: 8080}]
                        """),
                route("legacy", """
                        - backendRefs: [{name: echo-v1, port: 8080}]
                        """),
                route("ported", """
                        - backendRefs: [{name: echo-v2, port: 8080}]
                        """).replace("name: ported}", "name: ported, port: 80}")));
        mesh = new EchoMesh(configDir, List.of("matching", "split", "weighted", "animals", "timed", "broken", "legacy"),
                documents);
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    private static HttpResponse<String> get(String url, String... headers) throws Exception {
        return mesh.get(url, headers);
    }

    private static String reached(String url, String... headers) throws Exception {
        return mesh.reached(url, headers);
    }

    @Test
    void pathSegmentPrefixesAndHeadersPickTheRuleAsInMeshHttpRouteMatching() throws Exception {
        assertThat(reached("http://matching:8080/")).isEqualTo("echo-v1");
        assertThat(reached("http://matching:8080/example")).isEqualTo("echo-v1");
        assertThat(reached("http://matching:8080/", "version", "one")).isEqualTo("echo-v1");
        assertThat(reached("http://matching:8080/v2")).isEqualTo("echo-v2");
        assertThat(reached("http://matching:8080/v2/example")).isEqualTo("echo-v2");
        assertThat(reached("http://matching:8080/", "version", "two")).isEqualTo("echo-v2");
        assertThat(reached("http://matching:8080/v2/")).isEqualTo("echo-v2");
        assertThat(reached("http://matching:8080/v2example")).as("not a path segment of /v2").isEqualTo("echo-v1");
        assertThat(reached("http://matching:8080/foo/v2/example")).isEqualTo("echo-v1");
    }

    @Test
    void exactPathsSplitOneServiceBetweenTwoVersionsAsInMeshTrafficSplit() throws Exception {
        HttpResponse<String> v1 = get("http://split:8080/v1");
        assertThat(v1.statusCode()).isEqualTo(200);
        assertThat(v1.body()).isEqualTo("echo-v1 /v1");
        assertThat(reached("http://split.default.svc.cluster.local:8080/v2")).isEqualTo("echo-v2");
        assertThat(reached("http://split:8080/v2/x")).as("no rule matches: 404").isEqualTo("404");
    }

    @Test
    void weightsSplitRequestsWithinFivePointsAsInMeshHttpRouteWeight() throws Exception {
        int total = 1000;
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < total; i++) {
            seen.merge(reached("http://weighted:8080/?i=" + i, "x-jitter", String.valueOf(i)), 1, Integer::sum);
        }
        System.out.println("GammaHttpRouteTest weights 70/30/0 over " + total + " requests: " + seen);
        assertThat(seen.keySet()).containsExactly("echo-v1", "echo-v2");
        assertThat(seen.get("echo-v1") / (double) total).isBetween(0.65, 0.75);
        assertThat(seen.get("echo-v2") / (double) total).isBetween(0.25, 0.35);
    }

    @Test
    void queryParametersMatchAsInMeshHttpRouteQueryParamMatching() throws Exception {
        assertThat(reached("http://animals:8080/?animal=whale")).isEqualTo("echo-v1");
        assertThat(reached("http://animals:8080/?animal=dolphin")).isEqualTo("echo-v2");
        assertThat(reached("http://animals:8080/?animal=whale&otherparam=irrelevant")).isEqualTo("echo-v1");
        assertThat(reached("http://animals:8080/?animal=dolphin&color=yellow")).isEqualTo("echo-v2");
        assertThat(reached("http://animals:8080/?animal=%77hale")).as("percent-decoded").isEqualTo("echo-v1");
        assertThat(reached("http://animals:8080/?color=blue")).isEqualTo("404");
        assertThat(reached("http://animals:8080/?animal=dog")).isEqualTo("404");
        assertThat(reached("http://animals:8080/?animal=whaledolphin")).isEqualTo("404");
        assertThat(reached("http://animals:8080/")).isEqualTo("404");
        assertThat(reached("http://animals:8080/?animal=whale", "version", "one")).as("more matchers win")
                .isEqualTo("echo-v2");
        assertThat(reached("http://animals:8080/path3?animal=shark")).isEqualTo("echo-v1");
        assertThat(reached("http://animals:8080/?animal=shark")).as("path and query both needed").isEqualTo("404");
    }

    @Test
    void ruleTimeoutsCutTheRequestAndEachTryWith504() throws Exception {
        assertThat(reached("http://timed:8080/slow/3000", "x-timeout", "request")).isEqualTo("504");
        assertThat(reached("http://timed:8080/slow/3000", "x-timeout", "try")).isEqualTo("504");
        assertThat(reached("http://timed:8080/slow/10", "x-timeout", "request")).isEqualTo("echo-v1");
    }

    @Test
    void aBackendThatIsNoServiceHasItsShareAnswered500() throws Exception {
        int total = 400;
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < total; i++) {
            seen.merge(reached("http://broken:8080/"), 1, Integer::sum);
        }
        System.out.println("GammaHttpRouteTest one valid and one missing backend, " + total + " requests: " + seen);
        assertThat(seen.keySet()).containsExactly("500", "echo-v1");
        assertThat(seen.get("500") / (double) total).isBetween(0.35, 0.65);
    }

    @Test
    void anHttpRouteOverridesTheTrafficSplitOfItsService() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(reached("http://legacy:8080/")).isEqualTo("echo-v1");
        }
    }

    @Test
    void aParentRefPortScopesTheRouteToThatPortAsInMeshPorts() throws Exception {
        assertThat(reached("http://ported:80/")).isEqualTo("echo-v2");
        assertThat(reached("http://ported:8080/")).as("the route's parent excludes 8080").isEqualTo("echo-v1");
    }
}
