package io.meshwork.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sidecar's JVM flags, read from the one flags file ({@value #RESOURCE}, a resource of this module) for those
 * who start a sidecar JVM from Java ({@code mesh demo}, tests); the shell launchers pass the same file to {@code java}
 * as an argument file, and add the class-data archive ({@value #ARCHIVE}) as {@link #flags(Path)} does. The file follows the argument file's rules as far as it uses them: flags separated by
 * white space, {@code #} to the end of the line a comment.
 */
public final class SidecarJvm {

    /** Where the flags file is on the classpath. */
    public static final String RESOURCE = "/proxy-jvm.options";
    /**
     * The sidecar's class-data archive, which launchers keep beside the jar they start ({@code cli/target},
     * {@code /opt/meshwork}); {@code sidecar-proxy/src/main/sh/cds-archive.sh} makes it.
     */
    public static final String ARCHIVE = "proxy.jsa";

    private SidecarJvm() {
    }

    /**
     * The flags, and the class-data archive beside {@code jar} when there is one made after the jar (an older one
     * would not match it: the JVM would say so and go on without).
     */
    public static List<String> flags(Path jar) {
        Path archive = jar.resolveSibling(ARCHIVE);
        try {
            if (Files.isRegularFile(jar) && Files.isRegularFile(archive)
                    && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                List<String> flags = new ArrayList<>(flags());
                flags.add("-XX:SharedArchiveFile=" + archive);
                return flags;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the times of " + jar + " and " + archive, e);
        }
        return flags();
    }

    /** The flags, in the file's order. */
    public static List<String> flags() {
        try (InputStream in = SidecarJvm.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath (it ships in the sidecar's jar)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(line -> line.replaceFirst("#.*", ""))
                    .flatMap(line -> Arrays.stream(line.trim().split("\\s+")))
                    .filter(flag -> !flag.isEmpty())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
    }
}
