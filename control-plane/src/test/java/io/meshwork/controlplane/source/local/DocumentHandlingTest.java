package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import org.junit.jupiter.api.Test;

/** How files and documents are read, whatever their kind. */
class DocumentHandlingTest {

    private static final ObjectRef RATINGS = ObjectRef.of("default", "ratings");

    @Test
    void readsEveryDocumentOfEveryFile() {
        LoadResult result = new LocalConfigLoader().load(files(
                "a.yaml", docs(service("ratings", "ratings", null, 9080), service("details", "details", null, 9080)),
                "b.yml", service("reviews", "reviews", null, 9080)));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().services()).hasSize(3);
    }

    @Test
    void skipsEmptyDocuments() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml",
                "---\n# nothing here\n---\n" + service("ratings", "ratings", null, 9080) + "---\n"));
        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().services()).containsOnlyKeys(RATINGS);
    }

    @Test
    void unknownKindIsAWarningAndTheRestIsUsed() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml", docs(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ratings\n", service("ratings", "ratings", null, 9080))));
        assertThat(result.errors()).isEmpty();
        assertThat(result.problems()).singleElement().satisfies(p -> {
            assertThat(p.severity()).isEqualTo(ConfigProblem.Severity.WARNING);
            assertThat(p).hasToString("a.yaml doc 1 (line 1): Deployment default/ratings: local mode does not read apps/v1 Deployment; document ignored");
        });
        assertThat(result.snapshot().services()).containsOnlyKeys(RATINGS);
    }

    @Test
    void unknownKindWithoutMetadataIsStillOnlyAWarning() {
        LoadResult result = new LocalConfigLoader().load(files("kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"));
        assertThat(result.problems()).singleElement().hasToString("kustomization.yaml doc 1 (line 1): Kustomization: "
                + "local mode does not read kustomize.config.k8s.io/v1beta1 Kustomization; document ignored");
        assertThat(result.errors()).isEmpty();
    }

    @Test
    void documentWithoutKindIsRejectedNamingTheField() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml", "apiVersion: v1\nmetadata:\n  name: x\n"));
        assertThat(result.errors()).singleElement().hasToString("a.yaml doc 1 (line 1): kind: is required");
    }

    @Test
    void documentThatIsNotAMappingIsRejected() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml", "- just\n- a list\n"));
        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.message()).startsWith("a document must be a mapping"));
    }

    @Test
    void syntaxErrorNamesTheDocumentAndLine() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml",
                docs(service("ratings", "ratings", null, 9080), "kind: Service\nmetadata: {name: x\n")));
        assertThat(result.errors()).singleElement().satisfies(p -> {
            assertThat(p.documentIndex()).isEqualTo(2);
            assertThat(p.line()).isGreaterThan(12);
            assertThat(p.message()).startsWith("not valid YAML");
        });
    }

    @Test
    void fileWithSyntaxErrorContributesNothingWhenNothingWasAcceptedBefore() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml",
                docs(service("ratings", "ratings", null, 9080), "kind: [unclosed\n")));
        assertThat(result.snapshot().services()).isEmpty();
    }

    @Test
    void duplicateKeyIsRejected() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  name: y\nspec:\n  ports: [{port: 80}]\n"));
        assertThat(result.errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("metadata.name");
            assertThat(p.message()).isEqualTo("key appears twice");
        });
    }

    @Test
    void secondDefinitionOfAnObjectIsRejectedNamingBothFiles() {
        LoadResult result = new LocalConfigLoader().load(files(
                "a.yaml", service("ratings", "ratings", null, 9080),
                "b.yaml", service("ratings", "ratings", null, 8080)));
        assertThat(result.errors()).singleElement().hasToString("b.yaml doc 1 (line 4): Service default/ratings: metadata.name: "
                + "duplicate: Service default/ratings is already defined in a.yaml doc 1; this one is ignored");
        assertThat(result.snapshot().services().get(RATINGS).ports().get(0).port()).isEqualTo(9080);
    }

    @Test
    void sameNameInAnotherNamespaceOrKindIsNotADuplicate() {
        LoadResult result = new LocalConfigLoader().load(files(
                "a.yaml", docs(service("ratings", "ratings", null, 9080),
                        service("ratings", "ratings", null, 9080).replace("name: ratings", "name: ratings\n  namespace: other"),
                        Manifests.workload("ratings", "ratings", "v1", "127.0.0.2", 9080))));
        assertThat(result.problems()).isEmpty();
    }

    @Test
    void invalidNamespaceIsRejected() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml",
                service("ratings", "ratings", null, 9080).replace("name: ratings", "name: ratings\n  namespace: Prod_1")));
        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("metadata.namespace"));
    }

    @Test
    void unknownSpecFieldIsAWarningAndTheObjectIsUsed() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml",
                Manifests.serviceWithPorts("ratings", "  - port: 9080\n    appProtocl: grpc\n")));
        assertThat(result.problems()).singleElement().satisfies(p -> {
            assertThat(p.severity()).isEqualTo(ConfigProblem.Severity.WARNING);
            assertThat(p).hasToString("a.yaml doc 1 (line 10): Service default/ratings: spec.ports[0].appProtocl: "
                    + "unknown field, ignored (a typo?)");
        });
        assertThat(result.snapshot().services()).containsOnlyKeys(RATINGS);
    }

    @Test
    void kubernetesOnlyServiceFieldsAndStatusDrawNoWarning() {
        LoadResult result = new LocalConfigLoader().load(files("a.yaml", Manifests.serviceWithPorts("ratings",
                "  - port: 9080\n    nodePort: 30080\n  type: NodePort\n  clusterIP: 10.96.0.10\n")
                .replace("  name: ratings\n", "  name: ratings\n  annotations: {team: a}\n  uid: 123\n") + "status:\n  loadBalancer: {}\n"));
        assertThat(result.problems()).isEmpty();
    }
}
