package io.meshwork.cli;

import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Writes new weights to a split's file after checking the result is a valid config. */
final class SplitWriter {

    private SplitWriter() {
    }

    static void write(TrafficSplitFiles files, TrafficSplitFiles.Location split, Map<String, Long> weights,
            String status, Path configDir) throws IOException {
        String text = files.rewrite(split, weights, status);
        ConfigCheck.requireValid(configDir, split.file(), text, "TrafficSplit " + split.namespace() + "/" + split.name());
        TrafficSplitFiles.replaceAtomically(split.file(), text);
    }
}
