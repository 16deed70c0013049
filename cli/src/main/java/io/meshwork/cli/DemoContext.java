package io.meshwork.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Where the running demo is, so that the README's tour works as written: {@code mesh demo --keep-running} writes
 * its config folder and control plane admin URL to a small file ({@code ~/.meshwork/demo-context}, or
 * {@code $MESH_DEMO_CONTEXT}) and removes it when it stops; commands given neither {@code --config-dir} nor
 * {@code --control-plane} then act on that demo and say so on stderr. A file whose demo is gone (its process no
 * longer runs) is ignored, so nothing silently acts on a stale folder.
 */
public final class DemoContext {

    /** The demo's config folder and control plane admin URL. */
    public record Demo(Path configDir, URI controlPlane, long pid) {
    }

    private DemoContext() {
    }

    /** The file: {@code $MESH_DEMO_CONTEXT}, else {@code ~/.meshwork/demo-context}. */
    public static Path file() {
        String override = System.getProperty("meshwork.demo.context", System.getenv("MESH_DEMO_CONTEXT"));
        return override != null && !override.isBlank() ? Path.of(override)
                : Path.of(System.getProperty("user.home"), ".meshwork", "demo-context");
    }

    /** Records this process's demo; a second demo started later takes the file over. */
    public static void write(Path configDir, URI controlPlane) throws IOException {
        Path file = file();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Properties properties = new Properties();
        properties.setProperty("config-dir", configDir.toAbsolutePath().toString());
        properties.setProperty("control-plane", controlPlane.toString());
        properties.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            properties.store(out, "the running mesh demo (mesh demo --keep-running); removed when it stops");
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes the file if it is still this process's. */
    public static void remove() {
        read().filter(d -> d.pid() == ProcessHandle.current().pid()).ifPresent(d -> {
            try {
                Files.deleteIfExists(file());
            } catch (IOException ignored) {
                // a stale file is ignored by read(): its process is gone
            }
        });
    }

    /** The running demo, if the file names one whose process still runs. */
    public static Optional<Demo> read() {
        Path file = file();
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
            long pid = Long.parseLong(properties.getProperty("pid", "-1"));
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                return Optional.of(new Demo(Path.of(properties.getProperty("config-dir")),
                        URI.create(properties.getProperty("control-plane")), pid));
            }
        } catch (IOException | RuntimeException unreadable) {
            // treated as no demo
        }
        return Optional.empty();
    }

    /**
     * Defaults {@code --config-dir} ({@code $MESH_CONFIG_DIR} first) and {@code --control-plane} of the commands that
     * act on a running mesh to the running demo's, saying so once on stderr; other options keep their own defaults.
     */
    static final class Defaults implements CommandLine.IDefaultValueProvider {

        private final java.util.Set<String> said = new java.util.HashSet<>();

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec argument) {
            if (!(argument instanceof CommandLine.Model.OptionSpec option) || option.command() == null) {
                return null;
            }
            String command = option.command().qualifiedName();
            boolean configDir = option.longestName().equals("--config-dir") && !command.equals("mesh control-plane");
            boolean controlPlane = option.longestName().equals("--control-plane");
            if (!configDir && !controlPlane) {
                return null;
            }
            String fromEnvironment = configDir ? System.getenv("MESH_CONFIG_DIR") : null;
            if (fromEnvironment != null && !fromEnvironment.isBlank()) {
                return fromEnvironment;
            }
            Optional<Demo> demo = read();
            if (demo.isEmpty()) {
                return null;
            }
            String value = configDir ? demo.get().configDir().toString() : demo.get().controlPlane().toString();
            if (said.add(option.longestName())) {
                System.err.println("(using the running demo's " + option.longestName() + " " + value + ", from " + file() + ")");
            }
            return value;
        }
    }
}
