package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.files;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpRouteGroupValidationTest {

    private static LoadResult load(String apiVersion, String body) {
        return new LocalConfigLoader().load(files("routes.yaml", """
                apiVersion: specs.smi-spec.io/%s
                kind: HTTPRouteGroup
                metadata:
                  name: routes
                """.formatted(apiVersion) + body));
    }

    private static LoadResult load(String match) {
        return load("v1alpha4", "spec:\n  matches:\n  - name: m\n" + match);
    }

    private static HttpRouteGroup.Match onlyMatch(LoadResult result) {
        assertThat(result.problems()).isEmpty();
        return result.snapshot().routeGroups().get(ObjectRef.of("default", "routes")).matches().get(0);
    }

    @Test
    void readsPathMethodsAndHeaders() {
        HttpRouteGroup.Match match = onlyMatch(load("    pathRegex: /api/.*\n    methods: [GET, POST]\n    headers:\n      X-Canary: \"true\"\n"));
        assertThat(match).isEqualTo(new HttpRouteGroup.Match("m", "/api/.*", List.of("GET", "POST"), Map.of("x-canary", "true")));
    }

    @Test
    void readsHeadersWrittenAsAListOfMappings() {
        HttpRouteGroup.Match match = onlyMatch(load("    headers:\n    - user-agent: \".*Android.*\"\n    - cookie: \"^(.*?;)?(type=insider)(;.*)?$\"\n"));
        assertThat(match.headers()).containsOnlyKeys("user-agent", "cookie");
    }

    @Test
    void readsTopLevelMatchesOfV1alpha2() {
        LoadResult result = load("v1alpha2", "matches:\n- name: metrics\n  pathRegex: /metrics\n  methods: [\"*\"]\n");
        assertThat(onlyMatch(result).methods()).containsExactly("*");
    }

    @Test
    void rejectsPathRegexThatDoesNotCompile() {
        assertThat(load("    pathRegex: /api/(unclosed\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.matches[0].pathRegex");
            assertThat(p.line()).isEqualTo(8);
            assertThat(p.message()).startsWith("\"/api/(unclosed\" is not a valid regex");
        });
    }

    @Test
    void validatesWithTheEngineTheSidecarMatchesWith() {
        // java.util.regex knows \\p{javaLowerCase}; RE2/J, the sidecar's engine, does not.
        assertThat(load("    pathRegex: /\\p{javaLowerCase}+\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.matches[0].pathRegex");
            assertThat(p.message()).startsWith("\"/\\p{javaLowerCase}+\" is not a valid regex");
        });
    }

    @Test
    void rejectsBackreferenceThatRe2Lacks() {
        assertThat(load("    pathRegex: /(a)\\1\n").errors()).singleElement().satisfies(p -> assertThat(p.message())
                .isEqualTo("\"/(a)\\1\" uses backreference \\1, which RE2 (Envoy, gRPC) does not support"));
    }

    @Test
    void rejectsLookaheadInHeaderRegex() {
        assertThat(load("    headers:\n      user-agent: \"(?!curl).*\"\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.matches[0].headers.user-agent");
            assertThat(p.message()).contains("lookahead");
        });
    }

    @Test
    void rejectsUnknownMethod() {
        assertThat(load("    methods: [GET, FETCH]\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.matches[0].methods");
            assertThat(p.message()).startsWith("\"FETCH\" is not an HTTP method");
        });
    }

    @Test
    void rejectsLowerCaseMethod() {
        assertThat(load("    methods: [get]\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("\"get\" is not an HTTP method"));
    }

    @Test
    void rejectsMatchWithoutName() {
        LoadResult result = load("v1alpha4", "spec:\n  matches:\n  - pathRegex: /x\n");
        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("spec.matches[0].name"));
    }

    @Test
    void rejectsGroupWithoutMatches() {
        assertThat(load("v1alpha4", "spec: {}\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("at least one match is required"));
    }
}
