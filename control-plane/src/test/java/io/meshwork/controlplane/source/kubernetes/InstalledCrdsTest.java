package io.meshwork.controlplane.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.source.local.ConfigKind;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.injector.YamlDocuments;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The CRDs {@code mesh install} prints, checked as the API server would take them, and every
 * custom resource the project has (the samples, one object of each SMI version) checked against
 * the schema of its version, by the schema and by the parser alike.
 */
class InstalledCrdsTest {

    private static final InstalledCrds CRDS = InstalledCrds.ofMeshInstall();
    private static final Path SAMPLES = Path.of("..", "samples");
    /** The Gateway API's CRDs are the upstream ones, installed by the user (as for Istio), not by mesh install. */
    private static final String GATEWAY_API = "gateway.networking.k8s.io";

    @Test
    void everyVersionOfEveryCrdHasAStructuralSchema() {
        List<String> problems = new ArrayList<>();
        for (JsonNode crd : CRDS.definitions()) {
            for (JsonNode version : crd.path("spec").path("versions")) {
                String at = crd.path("metadata").path("name").asString() + " " + version.path("name").asString() + ": ";
                if (!version.path("schema").path("openAPIV3Schema").isObject()) {
                    problems.add(at + "no schema.openAPIV3Schema");
                    continue;
                }
                new StructuralSchema(version.path("schema").path("openAPIV3Schema")).problems()
                        .forEach(p -> problems.add(at + p));
            }
        }

        assertThat(CRDS.definitions()).hasSize(13);
        assertThat(problems).isEmpty();
    }

    @Test
    void everyCrdServesAllItsVersionsWithOneStorageVersionAndConversionNone() {
        for (JsonNode crd : CRDS.definitions()) {
            JsonNode spec = crd.path("spec");
            String kind = spec.path("names").path("kind").asString();
            assertThat(crd.path("metadata").path("name").asString()).as(kind)
                    .isEqualTo(spec.path("names").path("plural").asString() + "." + spec.path("group").asString());
            assertThat(spec.path("names").path("listKind").asString()).as(kind).isEqualTo(kind + "List");
            assertThat(spec.path("scope").asString()).as(kind).isEqualTo("Namespaced");
            assertThat(spec.path("conversion").path("strategy").asString()).as(kind).isEqualTo("None");
            assertThat(spec.path("versions").values()).as(kind).allMatch(v -> v.path("served").asBoolean(false));
            assertThat(spec.path("versions").values()).as(kind).filteredOn(v -> v.path("storage").asBoolean(false))
                    .hasSize(1);
        }
    }

    @Test
    void everyKindKubernetesSourceWatchesHasACrdServingTheVersionItReads() {
        for (KubernetesSource.CustomKind kind : KubernetesSource.CUSTOM_KINDS) {
            if (kind.group().equals(GATEWAY_API)) {
                continue;
            }
            JsonNode crd = CRDS.definition(kind.group(), kind.kind()).orElseThrow(() -> new AssertionError("no CRD for " + kind));
            assertThat(crd.path("spec").path("names").path("plural").asString()).as(kind.kind()).isEqualTo(kind.plural());
            assertThat(InstalledCrds.servedVersions(crd)).as(kind.kind()).contains(kind.version());
        }
    }

    @Test
    void everyCustomKindTheParsersReadIsServedAtExactlyTheVersionsTheyRead() {
        for (ConfigKind kind : ConfigKind.values()) {
            if (kind.group().isEmpty() || kind.group().equals(GATEWAY_API)) {
                continue;
            }
            JsonNode crd = CRDS.definition(kind.group(), kind.kindName())
                    .orElseThrow(() -> new AssertionError("no CRD for " + kind.kindName()));
            assertThat(new TreeSet<>(InstalledCrds.servedVersions(crd).stream().map(v -> kind.group() + "/" + v).toList()))
                    .as(kind.kindName()).isEqualTo(new TreeSet<>(kind.apiVersions()));
        }
    }

    @Test
    void printerColumnsShowFieldsOfTheirVersionsSchema() {
        for (JsonNode crd : CRDS.definitions()) {
            for (JsonNode version : crd.path("spec").path("versions")) {
                for (JsonNode column : version.path("additionalPrinterColumns")) {
                    String path = column.path("jsonPath").asString();
                    assertThat(path.equals(".metadata.creationTimestamp") || hasField(version, path))
                            .as(crd.path("metadata").path("name").asString() + " " + version.path("name").asString()
                                    + " column " + column.path("name").asString() + " " + path).isTrue();
                }
                if (version.path("subresources").has("status")) {
                    assertThat(hasField(version, ".status")).isTrue();
                }
            }
        }
    }

    @Test
    void everySampleValidatesAgainstTheSchemaOfItsVersion() throws IOException {
        Map<String, List<String>> violations = new TreeMap<>();
        List<String> checked = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SAMPLES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") && !f.toString().contains("target"))
                    .sorted().toList()) {
                for (JsonNode document : YamlDocuments.read(Files.readString(file), file.toString())) {
                    if (!isCustomResource(document)) {
                        continue;
                    }
                    String name = SAMPLES.relativize(file) + " " + describe(document);
                    checked.add(document.path("kind").asString());
                    List<String> refused = CRDS.violations(document);
                    if (!refused.isEmpty()) {
                        violations.put(name, refused);
                    }
                }
            }
        }

        assertThat(checked).contains("TrafficSplit", "HTTPRouteGroup", "PeerAuthentication", "Workload");
        assertThat(violations).isEmpty();
    }

    @Test
    void anObjectOfEverySmiVersionAndMeshworkKindValidatesAndParsesWithoutProblems() {
        for (String resource : List.of("smi-versions.yaml", "meshwork-kinds.yaml")) {
            String text = resource(resource);
            Map<String, List<String>> violations = new TreeMap<>();
            for (JsonNode document : YamlDocuments.read(text, resource)) {
                if (isCustomResource(document) && !CRDS.violations(document).isEmpty()) {
                    violations.put(describe(document), CRDS.violations(document));
                }
            }
            // The parsers, on the same text: no error, and no field the schema allows that they do not read.
            LoadResult parsed = new LocalConfigLoader().load(Map.of(resource, text));
            List<ConfigProblem> problems = parsed.problems().stream().filter(p -> p.severity() == ConfigProblem.Severity.ERROR
                    || p.message().startsWith("unknown field")).toList();

            assertThat(violations).as(resource).isEmpty();
            assertThat(problems).as(resource).isEmpty();
        }
    }

    @Test
    void noVersionChangePrunesAFieldOfAValidObject() {
        // The API server prunes against the schema of every version an object passes through; each
        // version carries the others' fields, so whatever version it is written and read at, it arrives whole.
        for (JsonNode written : YamlDocuments.read(resource("smi-versions.yaml"), "smi-versions.yaml")) {
            if (!isCustomResource(written)) {
                continue;
            }
            JsonNode crd = CRDS.definitionOf(written).orElseThrow();
            for (String version : InstalledCrds.servedVersions(crd)) {
                ObjectNode expected = (ObjectNode) written.deepCopy();
                expected.put("apiVersion", crd.path("spec").path("group").asString() + "/" + version);

                assertThat(CRDS.servedAt(written, version)).as(describe(written) + " read at " + version).isEqualTo(expected);
            }
        }
    }

    @Test
    void pruningDropsWhatNoVersionKnows() {
        ObjectNode written = (ObjectNode) YamlDocuments.read("""
                apiVersion: specs.smi-spec.io/v1alpha3
                kind: HTTPRouteGroup
                metadata: {name: api, namespace: default}
                spec:
                  matches:
                  - name: api
                    pathRegex: /api
                """, "group").get(0);
        JsonNode crd = CRDS.definitionOf(written).orElseThrow();
        ((ObjectNode) written.path("spec").path("matches").get(0)).put("hostRegex", "x");

        JsonNode served = InstalledCrds.schema(crd, "v1alpha4").pruned(written);

        assertThat(served.path("spec").path("matches").get(0).has("hostRegex")).isFalse();
        assertThat(served.path("spec").path("matches").get(0).path("pathRegex").asString()).isEqualTo("/api");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            v1alpha2 weight as a Quantity | split.smi-spec.io/v1alpha2 | TrafficSplit | {service: r, backends: [{service: a, weight: 500m}]} | spec.backends[0].weight: must be an integer, not "500m"
            v1alpha1 weight not a Quantity | split.smi-spec.io/v1alpha1 | TrafficSplit | {service: r, backends: [{service: a, weight: 50%}]} | spec.backends[0].weight: "50%" does not match
            negative weight | split.smi-spec.io/v1alpha4 | TrafficSplit | {service: r, backends: [{service: a, weight: -1}]} | spec.backends[0].weight: must be at least 0, not -1
            no backends | split.smi-spec.io/v1alpha4 | TrafficSplit | {service: r, backends: []} | spec.backends: must have at least 1 items
            misspelt field | split.smi-spec.io/v1alpha4 | TrafficSplit | {service: r, backend: [{service: a, weight: 1}]} | spec.backends: is required
            match of another kind | split.smi-spec.io/v1alpha3 | TrafficSplit | {service: r, backends: [{service: a, weight: 1}], matches: [{kind: TCPRoute, name: x}]} | spec.matches[0].kind: "TCPRoute" is not one of ["HTTPRouteGroup"]
            v1alpha4 group without spec.matches | specs.smi-spec.io/v1alpha4 | HTTPRouteGroup | {} | spec.matches: is required
            method in lower case | specs.smi-spec.io/v1alpha3 | HTTPRouteGroup | {matches: [{name: a, methods: [get]}]} | spec.matches[0].methods[0]: "get" is not one of
            target of a group | access.smi-spec.io/v1alpha3 | TrafficTarget | {destination: {kind: Group, name: a}, sources: [{kind: ServiceAccount, name: b}]} | spec.destination.kind: "Group" is not one of ["ServiceAccount"]
            target port out of range | access.smi-spec.io/v1alpha2 | TrafficTarget | {destination: {kind: ServiceAccount, name: a, port: 70000}, sources: [{kind: ServiceAccount, name: b}]} | spec.destination.port: must be at most 65535, not 70000
            workload port as a name | meshwork.io/v1alpha1 | Workload | {address: 10.0.0.1, ports: {http: web}} | spec.ports.http: must be an integer, not "web"
            mTLS mode unknown | meshwork.io/v1alpha1 | PeerAuthentication | {mtls: {mode: ON}} | spec.mtls.mode: "ON" is not one of
            sidecar without hosts | meshwork.io/v1alpha1 | Sidecar | {egress: [{hosts: []}]} | spec.egress[0].hosts: must have at least 1 items
            canary step of 0 | meshwork.io/v1alpha1 | Canary | {service: r, primary: a, canary: b, steps: [0, 50]} | spec.steps[0]: must be at least 1, not 0
            canary step over 100 | meshwork.io/v1alpha1 | Canary | {service: r, primary: a, canary: b, steps: [150]} | spec.steps[0]: must be at most 100, not 150
            canary without steps | meshwork.io/v1alpha1 | Canary | {service: r, primary: a, canary: b} | spec.steps: is required
            canary interval not a duration | meshwork.io/v1alpha1 | Canary | {service: r, primary: a, canary: b, steps: [10], interval: ten} | spec.interval: "ten" does not match
            canary success rate over 100 | meshwork.io/v1alpha1 | Canary | {service: r, primary: a, canary: b, steps: [10], minSuccessRate: 101} | spec.minSuccessRate: must be at most 100, not 101
            canary threshold of 0 | meshwork.io/v1alpha1 | Canary | {service: r, primary: a, canary: b, steps: [10], threshold: 0} | spec.threshold: must be at least 1, not 0
            """)
    void theApiServerRefusesWhatTheSchemaOfItsVersionForbids(String what, String apiVersion, String kind, String spec,
                                                              String violation) {
        JsonNode object = YamlDocuments.read("apiVersion: " + apiVersion + "\nkind: " + kind
                + "\nmetadata: {name: x, namespace: default}\nspec: " + spec + "\n", what).get(0);

        assertThat(CRDS.violations(object)).as(what).anyMatch(v -> v.startsWith(violation));
    }

    @Test
    void aRouteGroupOfTheTopLevelShapeIsRefusedAtV1alpha4ButNotAtV1alpha2() {
        String group = """
                apiVersion: specs.smi-spec.io/%s
                kind: HTTPRouteGroup
                metadata: {name: metrics, namespace: default}
                matches:
                - name: metrics
                  pathRegex: /metrics
                """;

        assertThat(CRDS.violations(YamlDocuments.read(group.formatted("v1alpha2"), "group").get(0))).isEmpty();
        assertThat(CRDS.violations(YamlDocuments.read(group.formatted("v1alpha4"), "group").get(0)))
                .containsExactly("spec: is required");
    }

    private static boolean hasField(JsonNode version, String jsonPath) {
        JsonNode schema = version.path("schema").path("openAPIV3Schema");
        for (String field : jsonPath.substring(1).split("\\.")) {
            schema = schema.path("properties").path(field);
        }
        return !schema.isMissingNode();
    }

    /** A document of an API group that is neither core nor a built-in Kubernetes group. */
    private static boolean isCustomResource(JsonNode document) {
        String apiVersion = document.path("apiVersion").asString("");
        return apiVersion.contains("smi-spec.io/") || apiVersion.startsWith("meshwork.io/");
    }

    private static String describe(JsonNode document) {
        return document.path("apiVersion").asString() + " " + document.path("kind").asString() + " "
                + document.path("metadata").path("name").asString();
    }

    static String resource(String name) {
        try (InputStream in = InstalledCrdsTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
