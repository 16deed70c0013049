package io.meshwork.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.serializer.ProtoResourcesSerializer;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Packs each resource into its {@link Any} once, not once per stream: the groups of one mesh
 * snapshot share most resource objects, and the library's default packs (serializes) every resource
 * of every response anew, e.g. a 1,000-virtual-host RouteConfiguration a hundred times for a hundred
 * sidecars. Entries are held weakly by resource, so they go with the snapshots that held them.
 */
final class SharedResourceSerializer implements ProtoResourcesSerializer {

    // Keyed by equality, whose hash protobuf memoizes per message (the library's snapshot already
    // computed it); an equal resource from an earlier snapshot gets the same bytes, which is right.
    private final Map<Message, Any> packed = Collections.synchronizedMap(new WeakHashMap<>());

    @Override
    public Any serialize(Message resource, Resources.ApiVersion apiVersion) {
        Any any = packed.get(resource);
        if (any == null) {
            any = Any.pack(resource);
            packed.put(resource, any);
        }
        return any;
    }
}
