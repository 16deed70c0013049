package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads an SMI TrafficSplit (v1alpha1 to v1alpha4). Weights are non-negative integers; a split with
 * a weight written as a Quantity ({@code 500m}, {@code "1"}, {@code 0.5}: v1alpha1's form) has all its
 * weights read as Quantities in milli-units (see {@link QuantityWeight}). At least one must be above
 * zero and their sum must fit Envoy's 32-bit total weight. References to other objects are checked
 * later, by {@link TrafficSplitReferences}.
 *
 * <p>The weights' form decides, not the apiVersion: a cluster hands out an object written at
 * v1alpha1 at whatever version a reader asks for with only its apiVersion rewritten (the CRDs'
 * conversion is None), so a {@code 500m} arrives labelled v1alpha4. An all-integer split means the
 * same read either way (the ratios are what route).
 */
final class TrafficSplitParser implements KindParser<TrafficSplit> {

    static final long MAX_TOTAL_WEIGHT = 0xFFFF_FFFFL;
    static final String ROUTE_GROUP_KIND = "HTTPRouteGroup";

    @Override
    public Set<String> ignoredFields() {
        // SMI lets a match name its API group; only HTTPRouteGroup's exists here.
        return Set.of("spec.matches[].apiGroup");
    }

    @Override
    public TrafficSplit parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        String service = spec.requiredString("service");
        List<YamlObject> items = spec.objectList("backends");
        if (items.isEmpty()) {
            throw spec.error("backends", "at least one backend is required");
        }
        boolean quantityWeights = items.stream().anyMatch(item ->
                item.optionalScalar("weight").filter(weight -> !Tag.INT.equals(weight.getTag())).isPresent());
        List<TrafficSplit.Backend> backends = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long total = 0;
        for (YamlObject item : items) {
            String backend = item.requiredString("service");
            if (!seen.add(backend)) {
                throw item.error("service", "\"" + backend + "\" is listed twice");
            }
            long weight = quantityWeights ? quantityWeight(item) : integerWeight(item);
            total += weight;
            if (total > MAX_TOTAL_WEIGHT) {
                throw item.error("weight", "the weights add up to more than " + MAX_TOTAL_WEIGHT);
            }
            backends.add(new TrafficSplit.Backend(backend, weight));
        }
        if (total == 0) {
            throw spec.error("backends", "every weight is 0: at least one backend needs a weight above 0");
        }
        List<TrafficSplit.RouteGroupMatch> matches = new ArrayList<>();
        for (YamlObject item : spec.objectList("matches")) {
            String kind = item.requiredString("kind");
            if (!kind.equals(ROUTE_GROUP_KIND)) {
                throw item.error("kind", "\"" + kind + "\" is not supported (only " + ROUTE_GROUP_KIND + ")");
            }
            matches.add(new TrafficSplit.RouteGroupMatch(kind, item.requiredString("name"), List.of()));
        }
        return new TrafficSplit(ref, service, backends, matches);
    }

    /** Only called when every weight present is a YAML integer. */
    private static long integerWeight(YamlObject item) {
        ScalarNode scalar = item.optionalScalar("weight").orElseThrow(() -> item.error("weight", "is required"));
        long weight;
        try {
            weight = Long.parseLong(scalar.getValue());
        } catch (NumberFormatException e) {
            throw item.error("weight", "must be a non-negative integer, not \"" + scalar.getValue() + "\"");
        }
        if (weight < 0) {
            throw item.error("weight", "must not be negative (" + weight + ")");
        }
        return weight;
    }

    private static long quantityWeight(YamlObject item) {
        String text = item.optionalScalar("weight").orElseThrow(() -> item.error("weight", "is required")).getValue();
        return QuantityWeight.toMilli(text).orElseThrow(() -> item.error("weight", "must be a non-negative integer or a "
                + "Quantity of whole milli-units such as 500m (v1alpha1's form), not \"" + text + "\""));
    }
}
