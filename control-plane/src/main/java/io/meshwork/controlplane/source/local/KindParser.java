package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;

/**
 * Reads the body of one document of a known kind into a model value, checking everything that
 * can be checked without looking at other objects. Throws {@link InvalidFieldException}.
 */
interface KindParser<T> {

    T parse(ObjectRef ref, String apiVersion, YamlObject document, YamlObject metadata);

    /**
     * Fields of this kind that Meshwork knowingly ignores (so they draw no "unknown field" warning),
     * as paths with list indices left out, e.g. {@code spec.ports[].nodePort}.
     */
    default java.util.Set<String> ignoredFields() {
        return java.util.Set.of();
    }
}
