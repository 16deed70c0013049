package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two writers of one split at once, threads and processes: no update is lost. */
class SplitConcurrencyTest {

    private static final int EDITS = 30;
    private static final int PROCESS_EDITS = 60;

    @TempDir
    Path dir;

    SplitFileControl control;

    @BeforeEach
    void writeConfig() throws IOException {
        control = CanaryTransitionsTest.threeBackends(dir);
    }

    @Test
    void twoThreadsSettingDifferentBackendsKeepBothLastValues() throws Exception {
        CompletableFuture<Void> v2 = CompletableFuture.runAsync(() -> setEach("reviews-v2"));
        CompletableFuture<Void> v3 = CompletableFuture.runAsync(() -> setEach("reviews-v3"));
        v2.get(60, TimeUnit.SECONDS);
        v3.get(60, TimeUnit.SECONDS);

        assertThat(control.read().weights()).containsEntry("reviews-v1", 90L).containsEntry("reviews-v2", (long) EDITS)
                .containsEntry("reviews-v3", (long) EDITS);
    }

    @Test
    void aThreadAndAnotherProcessIncrementingOneBackendLoseNoIncrement() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process other = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SplitEditLoop.class.getName(), dir.toString(), "reviews-v3", Integer.toString(PROCESS_EDITS))
                .redirectErrorStream(true).redirectOutput(dir.resolve("other.log").toFile()).start();
        try {
            while (control.read().weight("reviews-v3") == 0 && other.isAlive()) {
                Thread.sleep(5); // both write at once only once the other JVM has started
            }
            SplitEditLoop.increment(control, "reviews-v3", EDITS);
            assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            other.destroyForcibly();
        }

        assertThat(other.exitValue()).as(Files.readString(dir.resolve("other.log"))).isZero();
        assertThat(control.read().weights()).containsEntry("reviews-v3", (long) EDITS + PROCESS_EDITS)
                .containsEntry("reviews-v1", 90L);
    }

    private void setEach(String backend) {
        try {
            for (int i = 1; i <= EDITS; i++) {
                SplitCommand.set(control, Map.of(backend, (long) i));
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
