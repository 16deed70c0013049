package io.meshwork.controlplane.xds;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.serializer.ProtoResourcesSerializer;
import java.util.concurrent.ExecutionException;

/**
 * Packs each resource into its {@link Any} once, not once per stream: the groups of one mesh
 * snapshot share most resource objects, and the library's default packs (serializes) every resource
 * of every response anew, e.g. a 1,000-virtual-host RouteConfiguration a hundred times for a hundred
 * sidecars. Entries are held weakly by resource instance, so they go with the snapshots that held them.
 * It also remembers the name of what it packed, so that a stream's callbacks read the names of the
 * resources it sent without unpacking them: {@code Resources.getResourceName(Any)} parses the whole
 * resource (a new ClusterLoadAssignment of 10 endpoints for each service on every endpoint change)
 * and leaves the parsed copy on the shared {@code Any}.
 */
final class SharedResourceSerializer implements ProtoResourcesSerializer {

    // Weak keys compare by identity: an equal resource of a newer snapshot would otherwise be compared
    // field by field with the older one on every lookup, for every stream.
    private final Cache<Message, Any> packed = CacheBuilder.newBuilder().weakKeys().build();
    /** By packed instance (weakly: it lives as long as its entry in {@code packed}), the name of the resource inside. */
    private final Cache<Any, String> names = CacheBuilder.newBuilder().weakKeys().build();

    @Override
    public Any serialize(Message resource, Resources.ApiVersion apiVersion) {
        try {
            return packed.get(resource, () -> {
                Any any = Any.pack(resource);
                names.put(any, Resources.getResourceName(resource));
                return any;
            });
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot pack " + resource.getDescriptorForType().getFullName(), e.getCause());
        }
    }

    /** The name of the resource in {@code any}: remembered if this serializer packed it, else read by unpacking it. */
    String nameOf(Any any) {
        String name = names.getIfPresent(any);
        return name != null ? name : Resources.getResourceName(any);
    }
}
