package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.ObjectRef;
import java.util.Collection;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

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

    /** The values of one kind among {@code objects}, by namespace/name. */
    static <T> SortedMap<ObjectRef, T> valuesOf(Collection<ConfigObject> objects, ConfigKind kind, Class<T> type) {
        SortedMap<ObjectRef, T> result = new TreeMap<>();
        objects.stream().filter(o -> o.kind() == kind).forEach(o -> result.put(o.ref(), o.as(type)));
        return result;
    }
}
