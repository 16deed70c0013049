package io.meshwork.proxy.route;

import static io.meshwork.proxy.testing.EchoMesh.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.testing.EchoMesh;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPRoute filters end to end, modelled on the conformance suite's mesh cases ({@code
 * MeshHTTPRouteRequestHeaderModifier}, {@code MeshPorts}' response header, {@code MeshHTTPRouteRedirectScheme},
 * {@code ...RedirectHostAndStatus}, {@code ...RedirectPort}, {@code ...RedirectPath}, {@code MeshHTTPRouteRewritePath}):
 * the real control plane and sidecar, echo backends that answer with the path they got and echo the request headers
 * they saw as {@code x-seen-<name>}; each case checks the status, Location, path, host or headers the suite checks.
 */
class GammaFiltersTest {

    @TempDir
    static Path configDir;
    private static EchoMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new EchoMesh(configDir, List.of("headers", "per-backend", "redirect", "rewrite"), List.of(
                route("headers", """
                        - backendRefs: [{name: echo-v1, port: 8080}]
                          filters:
                          - type: RequestHeaderModifier
                            requestHeaderModifier:
                              set: [{name: X-Header-Set, value: set-overwrites-values}]
                              add: [{name: X-Header-Add, value: add-appends-values}]
                              remove: [X-Header-Remove]
                          - type: ResponseHeaderModifier
                            responseHeaderModifier:
                              set: [{name: X-Header-Set, value: v1}]
                              add: [{name: X-Header-Add, value: added}]
                              remove: [x-backend]
                        """),
                route("per-backend", """
                        - backendRefs:
                          - name: echo-v1
                            port: 8080
                            filters:
                            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-for, value: v1}]}}
                            - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-from, value: v1}]}}
                          - name: echo-v2
                            port: 8080
                            filters:
                            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-for, value: v2}]}}
                        """),
                route("redirect", """
                        - matches: [{path: {value: /scheme}}]
                          filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
                        - matches: [{path: {value: /hostname}}]
                          filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, statusCode: 301}}]
                        - matches: [{path: {value: /port}}]
                          filters: [{type: RequestRedirect, requestRedirect: {port: 8083}}]
                        - matches: [{path: {value: /full}}]
                          filters:
                          - type: RequestRedirect
                            requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replaced}}
                        - matches: [{path: {value: /original-prefix}}]
                          filters:
                          - type: RequestRedirect
                            requestRedirect:
                              path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}
                              statusCode: 308
                        """),
                route("rewrite", """
                        - matches: [{path: {value: /prefix/one}}]
                          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{path: {value: /strip-prefix}}]
                          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{path: {value: /full/one}}]
                          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{path: {value: /full/rewrite-path-and-modify-headers}}]
                          filters:
                          - {type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /test}}}
                          - type: RequestHeaderModifier
                            requestHeaderModifier:
                              set: [{name: X-Header-Set, value: set-overwrites-values}]
                              add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}]
                              remove: [X-Header-Remove]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        - matches: [{path: {value: /host}}]
                          filters: [{type: URLRewrite, urlRewrite: {hostname: rewritten.example}}]
                          backendRefs: [{name: echo-v1, port: 8080}]
                        """)));
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    @Test
    void requestHeadersAreSetAddedAndRemovedAsInMeshHttpRouteRequestHeaderModifier() throws Exception {
        HttpResponse<String> response = mesh.get("http://headers:8080/", "X-Header-Set", "some-other-value",
                "X-Header-Add", "some-other-value", "X-Header-Remove", "gone", "X-Untouched", "kept");

        assertThat(response.body()).isEqualTo("echo-v1 /");
        assertThat(response.headers().firstValue("x-seen-x-header-set")).hasValue("set-overwrites-values");
        assertThat(response.headers().firstValue("x-seen-x-header-add")).hasValue("some-other-value,add-appends-values");
        assertThat(response.headers().firstValue("x-seen-x-header-remove")).isEmpty();
        assertThat(response.headers().firstValue("x-seen-x-untouched")).hasValue("kept");
    }

    @Test
    void responseHeadersAreSetAddedAndRemovedAsInMeshPorts() throws Exception {
        HttpResponse<String> response = mesh.get("http://headers:8080/");

        assertThat(response.headers().firstValue("x-header-set")).hasValue("v1");
        assertThat(response.headers().firstValue("x-header-add")).hasValue("added");
        assertThat(response.headers().firstValue("x-backend")).as("removed").isEmpty();
    }

    @Test
    void aBackendRefsOwnFiltersApplyOnlyToRequestsItServes() throws Exception {
        int[] served = new int[2];
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> response = mesh.get("http://per-backend:8080/");
            String backend = response.body().split(" ")[0];
            assertThat(backend).isIn("echo-v1", "echo-v2");
            String version = backend.substring("echo-".length());
            assertThat(response.headers().firstValue("x-seen-x-for")).hasValue(version);
            assertThat(response.headers().firstValue("x-from")).isEqualTo(
                    version.equals("v1") ? java.util.Optional.of("v1") : java.util.Optional.empty());
            served[version.equals("v1") ? 0 : 1]++;
        }
        assertThat(served[0]).as("served by v1").isPositive();
        assertThat(served[1]).as("served by v2").isPositive();
    }

    @Test
    void redirectsAnswerWithTheStatusAndLocationTheConformanceSuiteExpects() throws Exception {
        assertRedirect("/scheme?q=1", 302, "https://redirect/scheme?q=1");
        assertRedirect("/hostname", 301, "http://example.org:8080/hostname");
        assertRedirect("/port", 302, "http://redirect:8083/port");
        assertRedirect("/full/x", 302, "http://redirect:8080/full-path-replaced");
        assertRedirect("/original-prefix/lemon", 308, "http://redirect:8080/replacement-prefix/lemon");
    }

    private static void assertRedirect(String path, int status, String location) throws Exception {
        HttpResponse<String> response = mesh.get("http://redirect:8080" + path);
        assertThat(response.statusCode()).as(path).isEqualTo(status);
        assertThat(response.headers().firstValue("location")).as(path).hasValue(location);
        assertThat(response.body()).as(path).isEmpty();
    }

    @Test
    void pathsAndHostsAreRewrittenAsInMeshHttpRouteRewritePath() throws Exception {
        assertThat(mesh.get("http://rewrite:8080/prefix/one/two").body()).isEqualTo("echo-v1 /one/two");
        assertThat(mesh.get("http://rewrite:8080/strip-prefix/three").body()).isEqualTo("echo-v1 /three");
        assertThat(mesh.get("http://rewrite:8080/strip-prefix").body()).isEqualTo("echo-v1 /");
        assertThat(mesh.get("http://rewrite:8080/full/one/two?x=1").body()).isEqualTo("echo-v1 /one?x=1");
        HttpResponse<String> both = mesh.get("http://rewrite:8080/full/rewrite-path-and-modify-headers/test",
                "X-Header-Remove", "remove-val", "X-Header-Add-Append", "append-val-1", "X-Header-Set", "set-val");
        assertThat(both.body()).isEqualTo("echo-v1 /test");
        assertThat(both.headers().firstValue("x-seen-x-header-add")).hasValue("header-val-1");
        assertThat(both.headers().firstValue("x-seen-x-header-add-append")).hasValue("append-val-1,header-val-2");
        assertThat(both.headers().firstValue("x-seen-x-header-set")).hasValue("set-overwrites-values");
        assertThat(both.headers().firstValue("x-seen-x-header-remove")).isEmpty();
        HttpResponse<String> host = mesh.get("http://rewrite:8080/host");
        assertThat(host.headers().firstValue("x-seen-host")).hasValue("rewritten.example");
    }
}
