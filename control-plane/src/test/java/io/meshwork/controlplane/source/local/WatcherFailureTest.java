package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.xds.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload that dies with an Error (as one with 550,000 documents did, of OutOfMemoryError) leaves the
 * watcher unhealthy, so the control plane says it is not ready, and the watcher keeps watching: fixing
 * or removing the file that caused it brings the config and the health back.
 */
class WatcherFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ObjectRef RATINGS = ObjectRef.of("default", "ratings");
    private static final ObjectRef DETAILS = ObjectRef.of("default", "details");

    @TempDir
    Path dir;

    private final BlockingQueue<MeshSnapshot> delivered = new LinkedBlockingQueue<>();
    private LocalConfigWatcher watcher;

    @AfterEach
    void stop() throws Exception {
        watcher.close();
    }

    /** A loader that runs out of memory whenever the folder holds {@code poison.yaml}, as a real one would on it. */
    private void startWatching() throws Exception {
        LocalConfigLoader real = new LocalConfigLoader();
        watcher = new LocalConfigWatcher(dir, delivered::add, Duration.ofMillis(50), Duration.ofMillis(300), p -> { },
                folder -> {
                    if (Files.exists(folder.resolve("poison.yaml"))) {
                        throw new OutOfMemoryError("Java heap space");
                    }
                    return real.load(folder);
                });
        watcher.start();
    }

    @Test
    void anErrorInAReloadMakesTheWatcherUnhealthyUntilTheFileGoes() throws Exception {
        Files.writeString(dir.resolve("mesh.yaml"), service("ratings", "ratings", null, 9080));
        startWatching();
        assertThat(watcher.healthy()).isTrue();
        delivered.clear();

        Files.writeString(dir.resolve("poison.yaml"), "a: 1\n");
        Eventually.await(WAIT, "watcher unhealthy", () -> !watcher.healthy());
        Files.writeString(dir.resolve("details.yaml"), service("details", "details", null, 9080));
        Thread.sleep(500);
        assertThat(watcher.healthy()).as("still unhealthy while the file is there").isFalse();
        assertThat(delivered).as("nothing applied while failing").isEmpty();

        Files.delete(dir.resolve("poison.yaml"));

        MeshSnapshot snapshot = delivered.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(snapshot).as("the edit made while failing is applied").isNotNull();
        assertThat(snapshot.services()).containsKeys(RATINGS, DETAILS);
        assertThat(watcher.healthy()).isTrue();
    }

    @Test
    void aFailingFirstLoadStartsUnhealthyAndRecovers() throws Exception {
        Files.writeString(dir.resolve("poison.yaml"), "a: 1\n");
        startWatching();
        assertThat(watcher.healthy()).isFalse();

        Files.writeString(dir.resolve("mesh.yaml"), service("ratings", "ratings", null, 9080));
        Files.delete(dir.resolve("poison.yaml"));

        Eventually.await(WAIT, "watcher healthy again", watcher::healthy);
        assertThat(delivered.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS).services()).containsKey(RATINGS);
    }
}
