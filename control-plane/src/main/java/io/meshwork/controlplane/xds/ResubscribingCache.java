package io.meshwork.controlplane.xds;

import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * java-control-plane's {@link SimpleCache}, fixed for a SotW client that unsubscribes from a
 * resource and later subscribes to it again (grpc-java does this with a cluster that a route
 * drops and brings back).
 *
 * <p>The library treats every resource of the last ACKed response as known to the client, even
 * after the client unsubscribed from it and dropped it, so a re-subscription with an unchanged
 * version gets no response and the client waits forever. Here a resource only counts as known
 * while the client's previous request on the stream still named it.
 */
final class ResubscribingCache extends SimpleCache<String> implements DiscoveryServerCallbacks {

    /** Per stream, per type URL: the resource names of the previous request. */
    private final Map<Long, Map<String, Set<String>>> subscriptions = new ConcurrentHashMap<>();
    /**
     * The previous subscription for the request being handled on this thread: the library runs the
     * callbacks and then opens the watch on the same thread, within one onNext.
     */
    private final ThreadLocal<Set<String>> subscribedBefore = new ThreadLocal<>();

    ResubscribingCache(NodeGroup<String> groups) {
        super(groups);
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        Map<String, Set<String>> byType = subscriptions.computeIfAbsent(streamId, id -> new ConcurrentHashMap<>());
        Set<String> previous = byType.put(request.getTypeUrl(), Set.copyOf(request.getResourceNamesList()));
        subscribedBefore.set(previous);
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
        // Delta streams track each resource themselves.
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
        subscriptions.remove(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
        subscriptions.remove(streamId);
    }

    @Override
    public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
                             Consumer<Response> responseConsumer, boolean hasClusterChanged,
                             boolean allowDefaultEmptyEdsUpdate) {
        Set<String> previous = subscribedBefore.get();
        subscribedBefore.remove();
        Set<String> known = knownResourceNames;
        if (previous != null && !previous.isEmpty()) {
            known = new HashSet<>(knownResourceNames);
            known.retainAll(previous);
        }
        return super.createWatch(ads, request, known, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
    }
}
