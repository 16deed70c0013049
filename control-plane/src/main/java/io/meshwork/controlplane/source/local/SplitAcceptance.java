package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Decides which TrafficSplits are served, once every object of a load is known. A split with a
 * broken reference is rejected (its last accepted version is kept if that one's references hold).
 * Two or more splits without matches for one root service conflict: none of them is served, and the
 * root service is served unsplit; each is reported, naming the others.
 */
final class SplitAcceptance {

    private SplitAcceptance() {
    }

    /** The candidates minus the TrafficSplits that cannot be served (some replaced by their last accepted version). */
    static Map<ConfigObject.Key, ConfigObject> accept(Map<ConfigObject.Key, ConfigObject> candidates,
                                                      Map<ConfigObject.Key, ConfigObject> lastGood,
                                                      List<ConfigProblem> problems) {
        TrafficSplitReferences references = new TrafficSplitReferences(
                ConfigObject.valuesOf(candidates.values(), ConfigKind.SERVICE, MeshService.class),
                ConfigObject.valuesOf(candidates.values(), ConfigKind.HTTP_ROUTE_GROUP, HttpRouteGroup.class));
        Map<ConfigObject.Key, ConfigObject> accepted = new LinkedHashMap<>();
        Map<ObjectRef, List<ConfigObject>> defaultSplitsByRoot = new TreeMap<>();
        for (ConfigObject object : candidates.values()) {
            if (object.kind() != ConfigKind.TRAFFIC_SPLIT) {
                accepted.put(object.key(), object);
                continue;
            }
            Optional<ConfigObject> split = checkReferences(object, references, lastGood, problems);
            split.ifPresent(s -> {
                accepted.put(s.key(), s);
                TrafficSplit value = s.as(TrafficSplit.class);
                if (value.matches().isEmpty()) {
                    defaultSplitsByRoot.computeIfAbsent(value.rootService(), root -> new ArrayList<>()).add(s);
                }
            });
        }
        defaultSplitsByRoot.forEach((root, splits) -> {
            if (splits.size() < 2) {
                return;
            }
            for (ConfigObject split : splits) {
                accepted.remove(split.key());
                String others = splits.stream().filter(o -> o != split)
                        .map(o -> o.key() + " (" + o.source().document() + ")")
                        .reduce((a, b) -> a + ", " + b).orElseThrow();
                problems.add(ConfigProblem.error(split.locationOf("spec.service"), split.kind().kindName(), split.ref(),
                        "spec.service", "conflicts with " + others + ": both are the default split (no matches) of Service "
                                + root + "; neither is applied, so " + root.name() + " is served unsplit"));
            }
        });
        return accepted;
    }

    /** The split if its references hold, else its last accepted version if that one's do. */
    private static Optional<ConfigObject> checkReferences(ConfigObject split, TrafficSplitReferences references,
                                                          Map<ConfigObject.Key, ConfigObject> lastGood,
                                                          List<ConfigProblem> problems) {
        Optional<TrafficSplitReferences.Broken> broken = references.check(split.as(TrafficSplit.class));
        if (broken.isEmpty()) {
            return Optional.of(split);
        }
        ConfigProblem problem = ConfigProblem.error(split.locationOf(broken.get().field()), split.kind().kindName(),
                split.ref(), broken.get().field(), broken.get().message());
        ConfigObject previous = lastGood.get(split.key());
        if (previous != null && !previous.value().equals(split.value())
                && references.check(previous.as(TrafficSplit.class)).isEmpty()) {
            problems.add(problem.withNote("still serving its last accepted version (from " + previous.source().document() + ")"));
            return Optional.of(previous);
        }
        problems.add(problem);
        return Optional.empty();
    }
}
