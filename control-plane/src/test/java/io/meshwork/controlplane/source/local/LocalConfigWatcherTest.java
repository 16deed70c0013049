package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static io.meshwork.controlplane.source.local.Manifests.split;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher on real files: each change reaches the consumer, within a second, once. */
class LocalConfigWatcherTest {

    private static final ObjectRef RATINGS = ObjectRef.of("default", "ratings");
    private static final ObjectRef REVIEWS_SPLIT = ObjectRef.of("default", "reviews");

    @TempDir
    Path dir;

    private final BlockingQueue<MeshSnapshot> delivered = new LinkedBlockingQueue<>();
    private final List<String> loggedProblems = new CopyOnWriteArrayList<>();
    private LocalConfigWatcher watcher;

    @BeforeEach
    void startWatching() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), reviews());
        Files.writeString(dir.resolve("split.yaml"), split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", 10));
        watcher = new LocalConfigWatcher(dir, delivered::add, LocalConfigWatcher.DEFAULT_QUIET,
                LocalConfigWatcher.DEFAULT_MAX_DELAY, loggedProblems::add);
        watcher.start();
    }

    @AfterEach
    void stopWatching() throws IOException {
        watcher.close();
    }

    /** The next snapshot handed to the consumer, waiting at most {@code millis}; null if none came. */
    private MeshSnapshot next(long millis) throws InterruptedException {
        return delivered.poll(millis, TimeUnit.MILLISECONDS);
    }

    private static long weightOfV2(MeshSnapshot snapshot) {
        return snapshot.splits().get(REVIEWS_SPLIT).backends().get(1).weight();
    }

    @Test
    void handsTheInitialSnapshotOverOnStart() {
        assertThat(delivered).singleElement().satisfies(s -> assertThat(weightOfV2(s)).isEqualTo(10));
    }

    @Test
    void deliversAFileWriteWithinOneSecond() throws Exception {
        delivered.clear();
        Files.writeString(dir.resolve("split.yaml"), split("reviews", "reviews", "reviews-v1", 0, "reviews-v2", 100));

        MeshSnapshot snapshot = next(1000);

        assertThat(snapshot).as("snapshot within 1 s of the write").isNotNull();
        assertThat(weightOfV2(snapshot)).isEqualTo(100);
    }

    @Test
    void picksUpAFileRenamedIntoPlaceAsEditorsSaveIt() throws Exception {
        delivered.clear();
        Path temporary = dir.resolve(".split.yaml.tmp");
        Files.writeString(temporary, split("reviews", "reviews", "reviews-v1", 50, "reviews-v2", 50));
        Files.move(temporary, dir.resolve("split.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        MeshSnapshot snapshot = next(2000);

        assertThat(snapshot).isNotNull();
        assertThat(weightOfV2(snapshot)).isEqualTo(50);
    }

    @Test
    void picksUpANewFile() throws Exception {
        delivered.clear();
        Files.writeString(dir.resolve("ratings.yml"), service("ratings", "ratings", null, 9080));

        MeshSnapshot snapshot = next(2000);

        assertThat(snapshot).isNotNull();
        assertThat(snapshot.services()).containsKey(RATINGS);
    }

    @Test
    void removedFileTakesItsObjectsAway() throws Exception {
        delivered.clear();
        Files.delete(dir.resolve("split.yaml"));

        MeshSnapshot snapshot = next(2000);

        assertThat(snapshot).isNotNull();
        assertThat(snapshot.splits()).isEmpty();
    }

    @Test
    void brokenWriteIsNotDeliveredAndTheLastGoodConfigStays() throws Exception {
        delivered.clear();
        Files.writeString(dir.resolve("split.yaml"), split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", -5));
        // A second, good change: once it arrives, the broken one has been read too.
        Files.writeString(dir.resolve("ratings.yml"), service("ratings", "ratings", null, 9080));

        MeshSnapshot snapshot = next(2000);

        assertThat(snapshot).isNotNull();
        assertThat(weightOfV2(snapshot)).isEqualTo(10);
        assertThat(watcher.lastResult().errors()).singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("spec.backends[1].weight"));
    }

    @Test
    void rewritingTheSameContentDeliversNothing() throws Exception {
        delivered.clear();
        LoadResult before = watcher.lastResult();
        Files.writeString(dir.resolve("mesh.yaml"), reviews());
        Files.writeString(dir.resolve("mesh.yaml.bak"), "not yaml at all: [");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (watcher.lastResult() == before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(watcher.lastResult()).as("the no-op writes were reloaded").isNotSameAs(before);
        // Had the no-op reload been handed on, it would come out of the queue before this change.
        Files.writeString(dir.resolve("ratings.yml"), service("ratings", "ratings", null, 9080));

        MeshSnapshot snapshot = next(2000);

        assertThat(snapshot).isNotNull();
        assertThat(snapshot.services()).containsKey(RATINGS);
    }

    @Test
    void burstOfWritesIsDeliveredAsOneSnapshot() throws Exception {
        delivered.clear();
        for (int weight = 1; weight <= 5; weight++) {
            Files.writeString(dir.resolve("split.yaml"), split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", weight));
        }

        MeshSnapshot snapshot = next(2000);

        assertThat(snapshot).isNotNull();
        assertThat(weightOfV2(snapshot)).isEqualTo(5);
        assertThat(next(300)).as("no second snapshot for the same burst").isNull();
    }

    @Test
    void aSteadyStreamOfWritesIsStillDeliveredWithinTheMaxDelay() throws Exception {
        delivered.clear();
        MeshSnapshot snapshot = null;
        int writes = 0;
        // A write every 50 ms never leaves the folder quiet for 100 ms; only the 1 s cap lets a reload through.
        while (snapshot == null && writes < 60) {
            writes++;
            Files.writeString(dir.resolve("split.yaml"), split("reviews", "reviews", "reviews-v1", 90, "reviews-v2", writes));
            snapshot = next(50);
        }
        assertThat(snapshot).as("a snapshot while the writes went on").isNotNull();
        assertThat(writes).isLessThan(60);
    }

    @Test
    void eachProblemIsLoggedOnceWhileItLasts() throws Exception {
        delivered.clear();
        Files.writeString(dir.resolve("broken.yaml"), service("ratings", "ratings", null, 0));
        Files.writeString(dir.resolve("details.yaml"), service("details", "details", null, 9080));
        assertThat(next(2000)).isNotNull();
        Files.writeString(dir.resolve("ratings.yml"), service("productpage", "productpage", null, 9080));
        assertThat(next(2000)).isNotNull();

        assertThat(loggedProblems).singleElement().asString()
                .isEqualTo("broken.yaml doc 1 (line 10): Service default/ratings: spec.ports[0].port: port 0 is not in 1..65535");
    }

    @Test
    void folderRemovedAndCreatedAgainIsWatchedAgain() throws Exception {
        delivered.clear();
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
        Files.createDirectory(dir);
        Files.writeString(dir.resolve("ratings.yml"), service("ratings", "ratings", null, 9080));

        MeshSnapshot snapshot = next(4000);

        assertThat(snapshot).isNotNull();
        assertThat(snapshot.services()).containsOnlyKeys(RATINGS);
    }
}
