package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ReferenceGrant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Gateway API {@code ReferenceGrant} (v1beta1, v1alpha2): {@code spec.from[]} (group, kind, namespace) and
 * {@code spec.to[]} (group, kind, optional name), each list at least one entry. The core group is {@code ""}.
 */
final class ReferenceGrantParser implements KindParser<ReferenceGrant> {

    @Override
    public ReferenceGrant parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata) {
        YamlObject spec = document.requiredObject("spec");
        List<ReferenceGrant.From> from = new ArrayList<>();
        for (YamlObject item : spec.objectList("from")) {
            from.add(new ReferenceGrant.From(group(item), item.requiredString("kind"), item.requiredString("namespace")));
        }
        List<ReferenceGrant.To> to = new ArrayList<>();
        for (YamlObject item : spec.objectList("to")) {
            to.add(new ReferenceGrant.To(group(item), item.requiredString("kind"), item.optionalString("name").orElse("")));
        }
        if (from.isEmpty()) {
            throw spec.error("from", "at least one entry is required");
        }
        if (to.isEmpty()) {
            throw spec.error("to", "at least one entry is required");
        }
        return new ReferenceGrant(ref, from, to);
    }

    /** {@code group} is required by the spec; {@code core} is the core group's other spelling. */
    private static String group(YamlObject item) {
        if (!item.has("group")) {
            throw item.error("group", "is required (\"\" for the core group, gateway.networking.k8s.io for routes)");
        }
        String group = item.optionalString("group").orElse("");
        return group.equals("core") ? "" : group;
    }
}
