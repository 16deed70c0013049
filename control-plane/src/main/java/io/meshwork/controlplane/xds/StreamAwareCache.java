package io.meshwork.controlplane.xds;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * java-control-plane's {@link SimpleCache}, made aware of the stream a request comes on, for two
 * things the library gets wrong:
 * <ul>
 *   <li>A client may send its node on the first request of a stream only (the xDS protocol allows
 *       it; Envoy's {@code set_node_on_first_message_only}). The library groups every request by its
 *       own node field, so later requests would land in an empty group. Here they get the stream's node.
 *   <li>A SotW client that unsubscribes from a resource and later subscribes to it again (grpc-java
 *       does this with a cluster that a route drops and brings back) got no response while the
 *       version was unchanged: the library counts every resource of the last ACKed response as known,
 *       even once the client dropped it. Here a resource only counts as known while the client's
 *       previous request on the stream still named it.
 *   <li>A NACK carries the last accepted version, so the library saw a client behind and answered it at
 *       once with the very version it had just rejected, again after every NACK: a storm of thousands
 *       of responses a second (java-control-plane has no NACK handling). Here a NACK of the stream's
 *       latest response opens the watch as if the client were at the rejected version: nothing is
 *       sent until the group's version of that type changes, and then the new one is.
 * </ul>
 * The library runs the callbacks and then opens the watch on the same thread, within one request,
 * which is how the stream's state reaches {@code createWatch}.
 */
final class StreamAwareCache extends SimpleCache<String> implements DiscoveryServerCallbacks {

    private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
    private final ThreadLocal<Pending> pending = new ThreadLocal<>();
    private final Function<Any, String> resourceNames;

    /** @param resourceNames the name of a resource as sent ({@link SharedResourceSerializer#nameOf}) */
    StreamAwareCache(NodeGroup<String> groups, Function<Any, String> resourceNames) {
        super(groups);
        this.resourceNames = resourceNames;
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        Stream stream = stream(streamId, request.hasNode() ? request.getNode() : null);
        Set<String> previous = stream.subscriptions.put(request.getTypeUrl(), Set.copyOf(request.getResourceNamesList()));
        Sent latest = stream.latestSent.get(request.getTypeUrl());
        // The library ignores a request whose nonce is not its latest response's, so only that one can be rejected.
        Sent rejected = request.hasErrorDetail() && latest != null && latest.nonce().equals(request.getResponseNonce())
                ? latest : null;
        pending.set(new Pending(stream.node, previous, rejected));
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
        Stream stream = stream(streamId, request.hasNode() ? request.getNode() : null);
        pending.set(new Pending(stream.node, null, null));
    }

    @Override
    public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
        Stream stream = streams.get(streamId);
        if (stream != null) {
            stream.latestSent.put(response.getTypeUrl(), new Sent(response.getNonce(), response.getVersionInfo(),
                    response.getResourcesList().stream().map(resourceNames).collect(Collectors.toSet())));
        }
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
        streams.remove(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
        streams.remove(streamId);
    }

    @Override
    public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
                             Consumer<Response> responseConsumer, boolean hasClusterChanged,
                             boolean allowDefaultEmptyEdsUpdate) {
        Pending p = takePending();
        Set<String> known = knownResourceNames;
        if (p.subscribedBefore != null && !p.subscribedBefore.isEmpty()) {
            known = new HashSet<>(knownResourceNames);
            known.retainAll(p.subscribedBefore);
        }
        DiscoveryRequest.Builder rewritten = null;
        if (!request.v3Request().hasNode() && p.node != null) {
            rewritten = request.v3Request().toBuilder().setNode(p.node);
        }
        if (p.rejected != null) {
            // The client has seen the rejected resources: only names it newly asks for warrant an answer now.
            rewritten = (rewritten == null ? request.v3Request().toBuilder() : rewritten)
                    .setVersionInfo(p.rejected.version());
            known = p.rejected.names();
        }
        if (rewritten != null) {
            request = XdsRequest.create(rewritten.build());
        }
        return super.createWatch(ads, request, known, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
    }

    @Override
    public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
                                       Map<String, String> resourceVersions, Set<String> pendingResources,
                                       boolean isWildcard, Consumer<DeltaResponse> responseConsumer,
                                       boolean hasClusterChanged) {
        Pending p = takePending();
        if (!request.v3Request().hasNode() && p.node != null) {
            request = DeltaXdsRequest.create(request.v3Request().toBuilder().setNode(p.node).build());
        }
        return super.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
                responseConsumer, hasClusterChanged);
    }

    private Stream stream(long streamId, Node node) {
        Stream stream = streams.computeIfAbsent(streamId, id -> new Stream());
        if (node != null) {
            stream.node = node;
        }
        return stream;
    }

    private Pending takePending() {
        Pending p = pending.get();
        pending.remove();
        return p == null ? new Pending(null, null, null) : p;
    }

    private static final class Stream {
        volatile Node node;
        final Map<String, Set<String>> subscriptions = new ConcurrentHashMap<>();
        /** Per type URL, the latest response sent on the stream. */
        final Map<String, Sent> latestSent = new ConcurrentHashMap<>();
    }

    private record Sent(String nonce, String version, Set<String> names) {
    }

    /**
     * What the callback learned about the request whose watch is being opened on this thread.
     *
     * @param rejected the response this request NACKs, or null
     */
    private record Pending(Node node, Set<String> subscribedBefore, Sent rejected) {
    }
}
