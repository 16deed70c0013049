package io.meshwork.controlplane.source.local;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objects of one load by kind and name, as documents offer them. Of two documents declaring the
 * same object, the one accepted in the last load wins, else the first offered (by file name and
 * document index); the other is reported, naming both.
 */
final class CandidateObjects {

    final Map<ConfigObject.Key, ConfigObject> objects = new LinkedHashMap<>();
    private final Set<ConfigObject.Key> fromLastGood = new HashSet<>();
    private final Map<ConfigObject.Key, ConfigObject> lastGood;
    private final List<ConfigProblem> problems;

    CandidateObjects(Map<ConfigObject.Key, ConfigObject> lastGood, List<ConfigProblem> problems) {
        this.lastGood = lastGood;
        this.problems = problems;
    }

    /** A document read in this load. */
    void offer(ConfigObject object) {
        ConfigObject existing = objects.putIfAbsent(object.key(), object);
        if (existing == null) {
            return;
        }
        if (fromLastGood.contains(object.key()) && existing.source().sameDocument(object.source())) {
            // The stand-in for a broken document turns out to be this very document, read fine now.
            objects.put(object.key(), object);
            fromLastGood.remove(object.key());
            return;
        }
        resolveDuplicate(existing, object);
    }

    /** An object kept from the last load because the document that now declares it is broken. */
    void offerLastGood(ConfigObject object) {
        ConfigObject existing = objects.putIfAbsent(object.key(), object);
        if (existing == null) {
            fromLastGood.add(object.key());
        } else if (!existing.source().sameDocument(object.source())) {
            resolveDuplicate(existing, object);
        }
    }

    private void resolveDuplicate(ConfigObject existing, ConfigObject object) {
        ConfigObject previous = lastGood.get(object.key());
        boolean newcomerWasAccepted = previous != null && previous.source().sameDocument(object.source())
                && !previous.source().sameDocument(existing.source());
        ConfigObject keep = newcomerWasAccepted ? object : existing;
        ConfigObject drop = newcomerWasAccepted ? existing : object;
        objects.put(object.key(), keep);
        if (keep == object) {
            fromLastGood.remove(object.key());
        }
        problems.add(ConfigProblem.error(drop.locationOf("metadata.name"), drop.kind().kindName(), drop.ref(), "metadata.name",
                "duplicate: " + keep.key() + " is already defined in " + keep.source().document()
                        + "; this one is ignored"));
    }
}
