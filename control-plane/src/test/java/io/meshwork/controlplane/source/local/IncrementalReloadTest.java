package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A reload parses only the files whose text changed, and gives what a full reparse would. */
class IncrementalReloadTest {

    private final LocalConfigLoader loader = new LocalConfigLoader();

    @Test
    void unchangedFileIsNotParsedAgain() {
        Map<String, String> files = files("mesh.yaml", reviews(), "svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        long before = loader.filesParsed();
        files.put("svc.yaml", service("ratings", "ratings", null, 9081));

        loader.load(files);

        assertThat(loader.filesParsed() - before).isEqualTo(1);
    }

    @Test
    void reloadOfAnUnchangedFolderParsesNothingAndKeepsTheVersion() {
        Map<String, String> files = files("mesh.yaml", reviews(), "svc.yaml", service("ratings", "ratings", null, 9080));
        String version = loader.load(files).snapshot().version();
        long before = loader.filesParsed();

        LoadResult again = loader.load(files);

        assertThat(loader.filesParsed()).isEqualTo(before);
        assertThat(again.snapshot().version()).isEqualTo(version);
    }

    @Test
    void changedFileTakesEffectWhileUnchangedOnesKeepTheirObjects() {
        Map<String, String> files = files("mesh.yaml", reviews(), "svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        files.put("svc.yaml", service("ratings", "ratings", null, 9081));

        LoadResult result = loader.load(files);

        assertThat(result.snapshot().services().get(ObjectRef.of("default", "ratings")).ports().get(0).port()).isEqualTo(9081);
        assertThat(result.snapshot()).isEqualTo(new LocalConfigLoader().load(files).snapshot());
    }

    @Test
    void problemOfAnUnchangedBrokenFileIsReportedOnEveryLoad() {
        Map<String, String> files = files("bad.yaml", "kind: [", "svc.yaml", service("ratings", "ratings", null, 9080));
        LoadResult first = loader.load(files);
        files.put("svc.yaml", service("ratings", "ratings", null, 9081));

        LoadResult second = loader.load(files);

        assertThat(second.errors()).isEqualTo(first.errors()).singleElement()
                .satisfies(p -> assertThat(p.file()).isEqualTo("bad.yaml"));
    }

    @Test
    void fileRemovedAndAddedBackIsReadAgain() {
        Map<String, String> files = files("mesh.yaml", reviews(), "svc.yaml", service("ratings", "ratings", null, 9080));
        loader.load(files);
        String svc = files.remove("svc.yaml");
        assertThat(loader.load(files).snapshot().services()).doesNotContainKey(ObjectRef.of("default", "ratings"));
        files.put("svc.yaml", svc);

        LoadResult result = loader.load(files);

        assertThat(result.snapshot().services()).containsKey(ObjectRef.of("default", "ratings"));
    }
}
