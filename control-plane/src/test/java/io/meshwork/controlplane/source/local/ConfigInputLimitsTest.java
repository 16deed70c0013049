package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the YAML scanner would spend minutes or gigabytes on are refused before parsing, with one line
 * naming the file and the bound, and the objects last accepted from them stay. Unbounded, the first
 * two cases took tens of minutes and 4.9 GB of heap; the timeouts here are far above what a linear
 * check takes and far below what parsing would.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ConfigInputLimitsTest {

    private static final ObjectRef RATINGS = ObjectRef.of("default", "ratings");

    @TempDir
    Path dir;

    private final LocalConfigLoader loader = new LocalConfigLoader();

    @Test
    void aFiftyMegabyteValueIsRefusedByItsSizeWithoutBeingRead() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), service("ratings", "ratings", null, 9080));
        assertThat(loader.load(dir).snapshot().services()).containsKey(RATINGS);
        writeValue(dir.resolve("mesh.yaml"), 50 << 20);

        LoadResult result = loader.load(dir);

        assertThat(result.errors()).singleElement().asString()
                .startsWith("mesh.yaml doc 1: refused before parsing: 52,428,800 bytes, over the limit of 8,388,608 "
                        + "(--max-config-file-size)")
                .contains("still serving the 1 object(s) last accepted from this file");
        assertThat(result.snapshot().services()).containsKey(RATINGS);
    }

    @Test
    void aValueJustUnderTheSizeLimitIsRefusedByItsLineLength() throws IOException {
        writeValue(dir.resolve("long.yaml"), (8 << 20) - 100);

        LoadResult result = loader.load(dir);

        assertThat(result.errors()).singleElement().asString()
                .isEqualTo("long.yaml doc 1: refused before parsing: line 1 is 8,388,508 characters long, over the limit "
                        + "of 262,144 (split a long value over several lines)");
    }

    @Test
    void halfAMillionTinyDocumentsAreRefusedByTheirCount() throws IOException {
        Files.writeString(dir.resolve("many.yaml"), "a: 1\n---\n".repeat(550_000));

        LoadResult result = loader.load(dir);

        assertThat(result.errors()).singleElement().asString()
                .isEqualTo("many.yaml doc 1: refused before parsing: more than 50,000 documents (at line 100,000); split the file");
    }

    @Test
    void theSizeLimitCanBeRaised() throws IOException {
        String yaml = service("ratings", "ratings", null, 9080);
        Files.writeString(dir.resolve("mesh.yaml"), yaml);
        int size = yaml.getBytes(StandardCharsets.UTF_8).length;

        LoadResult small = new LocalConfigLoader(ConfigInputLimits.DEFAULT.withMaxFileBytes(size - 1)).load(dir);
        LoadResult exact = new LocalConfigLoader(ConfigInputLimits.DEFAULT.withMaxFileBytes(size)).load(dir);

        assertThat(small.errors()).singleElement().asString().contains("bytes, over the limit of");
        assertThat(exact.errors()).isEmpty();
        assertThat(exact.snapshot().services()).containsKey(RATINGS);
    }

    @Test
    void dashesInsideALineOrFollowedByTextAreNotDocuments() throws Exception {
        ConfigInputLimits twoDocuments = new ConfigInputLimits(1 << 20, 2, 1000);

        twoDocuments.check("a: ---\n---x: 1\n  ---\n---\nb: 2\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> twoDocuments.check("a: 1\n---\nb: 2\n--- \nc: 3\n")))
                .hasMessage("refused before parsing: more than 2 documents (at line 4); split the file");
    }

    @Test
    void textHandedInDirectlyKeepsTheSameBounds() {
        LoadResult result = loader.load(java.util.Map.of("big.yaml", "a: " + "x".repeat(300_000) + "\n"));

        assertThat(result.errors()).singleElement().asString().contains("line 1 is 300,003 characters long");
    }

    /** {@code a: xxx...} with {@code size} bytes in all, written without holding it in memory twice. */
    private static void writeValue(Path file, int size) throws IOException {
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 'x');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("a: ".getBytes(StandardCharsets.US_ASCII));
            int left = size - 3;
            while (left > 0) {
                int n = Math.min(left, chunk.length);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
    }
}
