package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static io.meshwork.controlplane.source.local.Manifests.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad input never costs what was accepted before, and nothing is half-applied. */
class LastGoodConfigTest {

    private static final ObjectRef RATINGS = ObjectRef.of("default", "ratings");
    private static final ObjectRef REVIEWS_SPLIT = ObjectRef.of("default", "reviews");

    private final LocalConfigLoader loader = new LocalConfigLoader();

    private static long weightOfV2(LoadResult result) {
        return result.snapshot().splits().get(REVIEWS_SPLIT).backends().get(1).weight();
    }

    @Test
    void brokenDocumentKeepsServingItsLastAcceptedVersion() {
        Map<String, String> files = files("svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.put("svc.yaml", service("ratings", "ratings", null, 70000));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.message())
                .isEqualTo("port 70000 is not in 1..65535; still serving the last accepted version of Service default/ratings (from svc.yaml doc 1)"));
        assertThat(result.snapshot().services().get(RATINGS).ports().get(0).port()).isEqualTo(9080);
    }

    @Test
    void newDocumentThatFailsIsLeftOut() {
        LoadResult result = loader.load(files("svc.yaml", service("ratings", "ratings", null, 70000)));
        assertThat(result.snapshot().services()).isEmpty();
    }

    @Test
    void otherDocumentsOfAFileWithABrokenDocumentAreStillApplied() {
        Map<String, String> files = files("svc.yaml", docs(service("ratings", "ratings", null, 9080), service("details", "details", null, 9080)));
        loader.load(files);
        files.put("svc.yaml", docs(service("ratings", "ratings", null, 9081), service("details", "details", null, 0)));

        LoadResult result = loader.load(files);

        assertThat(result.snapshot().services().get(RATINGS).ports().get(0).port()).isEqualTo(9081);
        assertThat(result.snapshot().services().get(ObjectRef.of("default", "details")).ports().get(0).port()).isEqualTo(9080);
    }

    @Test
    void fileThatIsNoLongerValidYamlKeepsEveryObjectLastAcceptedFromIt() {
        Map<String, String> files = files("mesh.yaml", reviews(), "split.yaml", split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10));
        LoadResult before = loader.load(files);
        files.put("mesh.yaml", reviews().replace("metadata:\n  name: reviews-v2\n", "metadata: [\n"));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.message())
                .startsWith("not valid YAML").endsWith("still serving the 5 object(s) last accepted from this file"));
        assertThat(result.snapshot()).isEqualTo(before.snapshot());
    }

    @Test
    void truncatedWriteDoesNotHalfApplyAFile() {
        Map<String, String> files = files("mesh.yaml", reviews());
        LoadResult before = loader.load(files);
        String whole = docs(reviews(), service("ratings", "ratings", null, 9080));
        files.put("mesh.yaml", whole.substring(0, whole.indexOf("ports:", whole.indexOf("name: ratings")) + 3));

        LoadResult result = loader.load(files);

        assertThat(result.snapshot().services()).doesNotContainKey(RATINGS).hasSameSizeAs(before.snapshot().services());
    }

    @Test
    void emptiedFileKeepsItsObjectsAsAWriteMayBeUnderway() {
        Map<String, String> files = files("svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.put("svc.yaml", "");

        LoadResult result = loader.load(files);

        assertThat(result.problems()).singleElement().satisfies(p -> {
            assertThat(p.severity()).isEqualTo(ConfigProblem.Severity.WARNING);
            assertThat(p.message()).startsWith("file is empty");
        });
        assertThat(result.snapshot().services()).containsOnlyKeys(RATINGS);
    }

    @Test
    void fileLeftWithOnlyACommentHasNoObjects() {
        Map<String, String> files = files("svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.put("svc.yaml", "# ratings retired\n");

        assertThat(loader.load(files).snapshot().services()).isEmpty();
    }

    @Test
    void removedFileTakesItsObjectsAway() {
        Map<String, String> files = files("a.yaml", service("ratings", "ratings", null, 9080), "b.yaml", service("details", "details", null, 9080));
        loader.load(files);
        files.remove("a.yaml");

        assertThat(loader.load(files).snapshot().services()).containsOnlyKeys(ObjectRef.of("default", "details"));
    }

    @Test
    void documentWithoutANameFallsBackToTheObjectLastAcceptedFromTheSameDocument() {
        Map<String, String> files = files("svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.put("svc.yaml", service("ratings", "ratings", null, 9080).replace("  name: ratings\n", "  labels: {app: ratings}\n"));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("metadata.name"));
        assertThat(result.snapshot().services()).containsOnlyKeys(RATINGS);
    }

    @Test
    void splitEditedToAMissingBackendKeepsItsLastAcceptedVersion() {
        Map<String, String> files = files("mesh.yaml", reviews(), "split.yaml", split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10));
        loader.load(files);
        files.put("split.yaml", split("reviews", "reviews", "reviews-v1", 50, "reviews-v3", 50));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.message())
                .startsWith("\"reviews-v3\" is not a Service in namespace default; still serving its last accepted version"));
        assertThat(weightOfV2(result)).isEqualTo(10);
    }

    @Test
    void splitWhoseBackendServiceIsRemovedIsDropped() {
        Map<String, String> files = files("mesh.yaml", reviews(), "split.yaml", split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10));
        loader.load(files);
        files.put("mesh.yaml", reviews().replace("name: reviews-v2\n", "name: reviews-v2x\n"));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.message())
                .isEqualTo("\"reviews-v2\" is not a Service in namespace default"));
        assertThat(result.snapshot().splits()).isEmpty();
    }

    @Test
    void fixingABrokenDocumentAppliesTheFix() {
        Map<String, String> files = files("mesh.yaml", reviews(), "split.yaml", split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10));
        loader.load(files);
        files.put("split.yaml", split("reviews", "reviews", "reviews-v1", -1, "reviews-v2", 100));
        loader.load(files);
        files.put("split.yaml", split("reviews", "reviews", "reviews-v1", 0, "reviews-v2", 100));

        LoadResult result = loader.load(files);

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().splits().get(REVIEWS_SPLIT).backends())
                .containsExactly(new TrafficSplit.Backend("reviews-v1", 0), new TrafficSplit.Backend("reviews-v2", 100));
    }

    @Test
    void duplicateAddedInAnEarlierFileDoesNotDisplaceTheAcceptedObject() {
        Map<String, String> files = files("b.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.put("a.yaml", service("ratings", "ratings", null, 8080));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo("a.yaml");
            assertThat(p.message()).contains("already defined in b.yaml doc 1");
        });
        assertThat(result.snapshot().services().get(RATINGS).ports().get(0).port()).isEqualTo(9080);
    }

    @Test
    void objectMovedToAnotherFileIsNotADuplicate() {
        Map<String, String> files = files("a.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.remove("a.yaml");
        files.put("b.yaml", service("ratings", "ratings", null, 9080));

        assertThat(loader.load(files).problems()).isEmpty();
    }
}
