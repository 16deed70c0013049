package io.meshwork.cli;

import io.meshwork.controlplane.canary.SplitSnapshot;
import io.meshwork.controlplane.canary.SplitControl;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.SplitFileLock;
import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A service's weights in a local config folder (its default TrafficSplit, or its HTTPRoute's rule without
 * matches: {@link TrafficSplitFiles#find}), changed under the folder's
 * {@link SplitFileLock}: each update re-reads the split, decides on what it found, checks that the
 * folder stays valid and that the file did not change meanwhile (a writer that ignores the lock,
 * such as an editor), and replaces the file atomically.
 */
public final class SplitFileControl implements SplitControl {

    private final Path configDir;
    private final String namespace;
    private final String service;
    private final TrafficSplitFiles files;

    public SplitFileControl(Path configDir, String namespace, String service) {
        this.configDir = configDir;
        this.namespace = namespace;
        this.service = service;
        this.files = new TrafficSplitFiles(configDir);
    }

    /** The split's location, weights and note, or a one-line error that says what is missing. */
    public TrafficSplitFiles.Location location() throws IOException {
        return files.find(namespace, service).orElseThrow(() -> new IllegalArgumentException(
                "no TrafficSplit, HTTPRoute or GRPCRoute for service \"" + service + "\" in namespace " + namespace + " under "
                        + configDir + " (a split without matches whose spec.service is " + service
                        + ", or an HTTPRoute or GRPCRoute whose parentRefs name the Service, with a rule without matches)"));
    }

    @Override
    public Ref ref() throws IOException {
        TrafficSplitFiles.Location location = location();
        return new Ref(location.kind(), location.namespace(), location.name(), location.file(), null);
    }

    @Override
    public SplitSnapshot read() throws IOException {
        TrafficSplitFiles.Location location = location();
        return new SplitSnapshot(location.weights(), location.status());
    }

    @Override
    public Update update(UnaryOperator<SplitSnapshot> change) throws IOException {
        return SplitFileLock.holding(configDir, () -> {
            // read the text before parsing it, so that any change after the read shows up as a difference below
            String original = Files.readString(location().file());
            TrafficSplitFiles.Location location = location();
            SplitSnapshot before = new SplitSnapshot(location.weights(), location.status());
            SplitSnapshot wanted = change.apply(before);
            if (wanted == null) {
                return new Update(before, Optional.empty());
            }
            if (!wanted.equals(before)) {
                String text = files.rewriteWithStatus(location, wanted.weights(), wanted.status());
                requireValid(location, text, wanted.weights().keySet());
                if (!Files.readString(location.file()).equals(original)) {
                    throw new IllegalStateException(location.file() + " changed while " + location.title()
                            + " was being updated; nothing was written, try again");
                }
                TrafficSplitFiles.replaceAtomically(location.file(), text);
            }
            return new Update(before, Optional.of(wanted));
        });
    }

    /** Checks that the folder would be valid with the split at {@code weights}; nothing is written. */
    @Override
    public void requireValid(Map<String, Long> weights) throws IOException {
        TrafficSplitFiles.Location location = location();
        requireValid(location, files.rewrite(location, weights, null), weights.keySet());
    }

    /**
     * Refuses what the control plane would refuse, and on an HTTPRoute also a backend that is no Service: the route
     * would be accepted, its share answered 500 (the Gateway API's rule), which a canary step must never cause.
     */
    private void requireValid(TrafficSplitFiles.Location location, String text, java.util.Set<String> backends)
            throws IOException {
        LoadResult after = ConfigCheck.requireValid(configDir, location.file(), text, location.title());
        if (location.ruleIndex() >= 0) {
            for (String backend : backends) {
                if (!after.snapshot().services().containsKey(ObjectRef.of(location.namespace(), backend))) {
                    throw new IllegalArgumentException(location.title() + " was not changed: " + location.file().getFileName()
                            + ": spec.rules[" + location.ruleIndex() + "].backendRefs: " + backend + " is not a Service in "
                            + "namespace " + location.namespace() + " (its share would be answered 500)");
                }
            }
        }
    }
}
