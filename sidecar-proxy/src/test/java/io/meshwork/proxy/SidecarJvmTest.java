package io.meshwork.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarJvmTest {

    @TempDir
    Path dir;

    @Test
    void theFlagsFileHoldsOnlyFlags() {
        assertThat(SidecarJvm.flags()).isNotEmpty().allMatch(flag -> flag.startsWith("-"))
                .contains("-Xmx72m", "-XX:+UseSerialGC");
    }

    @Test
    void anArchiveMadeAfterTheJarIsPassedOn() throws Exception {
        Path jar = file("mesh.jar", Instant.parse("2026-12-05T10:00:00Z"));
        Path archive = file(SidecarJvm.ARCHIVE, Instant.parse("2026-12-05T10:00:15Z"));

        assertThat(SidecarJvm.flags(jar)).startsWith(SidecarJvm.flags().toArray(String[]::new))
                .endsWith("-XX:SharedArchiveFile=" + archive);
    }

    @Test
    void anArchiveOlderThanTheJarIsLeftOut() throws Exception {
        Path jar = file("mesh.jar", Instant.parse("2026-12-05T10:00:00Z"));
        file(SidecarJvm.ARCHIVE, Instant.parse("2026-12-05T09:59:00Z"));

        assertThat(SidecarJvm.flags(jar)).isEqualTo(SidecarJvm.flags());
    }

    @Test
    void noArchiveNoArchiveFlag() throws Exception {
        assertThat(SidecarJvm.flags(file("mesh.jar", Instant.now()))).isEqualTo(SidecarJvm.flags());
    }

    private Path file(String name, Instant modified) throws Exception {
        Path file = Files.writeString(dir.resolve(name), name);
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }
}
