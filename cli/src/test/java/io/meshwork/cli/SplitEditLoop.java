package io.meshwork.cli;

import io.meshwork.controlplane.canary.SplitSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Adds 1 to a backend's weight of {@code reviews} N times, each a read-modify-write; run as a second process. */
final class SplitEditLoop {

    private SplitEditLoop() {
    }

    public static void main(String[] args) throws IOException {
        increment(new SplitFileControl(Path.of(args[0]), "default", "reviews"), args[1], Integer.parseInt(args[2]));
    }

    static void increment(SplitFileControl control, String backend, int times) throws IOException {
        for (int i = 0; i < times; i++) {
            control.update(now -> {
                Map<String, Long> weights = new LinkedHashMap<>(now.weights());
                weights.merge(backend, 1L, Long::sum);
                return new SplitSnapshot(weights, now.status());
            });
        }
    }
}
