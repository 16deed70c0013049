package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import java.util.Map;

/**
 * One accepted document: its kind, namespace/name, where it was read and the model value
 * ({@code MeshService}, {@code Workload}, {@code TrafficSplit} or {@code HttpRouteGroup}).
 */
record ConfigObject(Key key, SourceLocation source, Object value, Map<String, Integer> fieldLines) {

    ConfigObject {
        fieldLines = Map.copyOf(fieldLines);
    }

    /** Identity of an object across files and reloads: kind plus namespace/name. */
    record Key(ConfigKind kind, ObjectRef ref) {
        @Override
        public String toString() {
            return kind.kindName() + " " + ref;
        }
    }

    ConfigKind kind() {
        return key.kind();
    }

    ObjectRef ref() {
        return key.ref();
    }

    /** Where {@code field} was written; the document's start when unknown. */
    SourceLocation locationOf(String field) {
        return source.atLine(fieldLines.getOrDefault(field, 0));
    }

    <T> T as(Class<T> type) {
        return type.cast(value);
    }
}
