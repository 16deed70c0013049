package io.meshwork.cli;

import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Validates a config folder as it would be with one file replaced, before that file is written, so
 * the CLI never writes a config the control plane would reject.
 */
final class ConfigCheck {

    private ConfigCheck() {
    }

    /** The folder as loaded with the file replaced, once no new error came of it. */
    static LoadResult requireValid(Path configDir, Path file, String newText, String object) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(configDir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml")) && Files.isRegularFile(p)) {
                    files.put(name, Files.readString(p));
                }
            }
        }
        String fileName = file.getFileName().toString();
        LoadResult before = new LocalConfigLoader().load(files);
        files.put(fileName, newText);
        LoadResult after = new LocalConfigLoader().load(files);
        List<ConfigProblem> introduced = after.errors().stream()
                .filter(p -> before.errors().stream().noneMatch(b -> b.toString().equals(p.toString())))
                .toList();
        if (!introduced.isEmpty()) {
            throw new IllegalArgumentException(object + " was not changed: " + introduced.get(0)
                    + (introduced.size() > 1 ? " (and " + (introduced.size() - 1) + " more)" : ""));
        }
        return after;
    }
}
