package io.meshwork.controlplane.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every connected xDS stream through java-control-plane's callbacks: its node and group,
 * the version it ACKed per type, its last NACK, pushes and push latency.
 */
public final class ProxyRegistry implements DiscoveryServerCallbacks {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyRegistry.class);

    private final Map<Long, Proxy> proxies = new ConcurrentHashMap<>();
    /** The same proxies by group, so that a push to one group does not walk every proxy. */
    private final Map<String, Set<Proxy>> byGroup = new ConcurrentHashMap<>();
    private final GroupKeys groupKeys;
    private final BiConsumer<String, Node> onNewProxy;
    private final XdsMetrics metrics;
    private final Clock clock;
    /** Told the group of a proxy that connected, left, ACKed or NACKed (the Gateway status waits on it). */
    private volatile java.util.function.Consumer<String> onGroupChange = group -> { };

    /**
     * @param onNewProxy called with (group, node) when a stream first names its node, before the
     *     library opens the stream's first watch; it must make sure the group has a snapshot
     */
    ProxyRegistry(GroupKeys groupKeys, BiConsumer<String, Node> onNewProxy, XdsMetrics metrics, Clock clock) {
        this.groupKeys = groupKeys;
        this.onNewProxy = onNewProxy;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Calls {@code listener} with the group of each proxy that connects, leaves, ACKs a new version or NACKs, on the
     * gRPC thread that saw it: it must be quick (it replaces any listener set before).
     */
    public void onGroupChange(java.util.function.Consumer<String> listener) {
        this.onGroupChange = listener;
    }

    /** The connected proxies of {@code group}. */
    public List<ProxyStatus> proxies(String group) {
        return byGroup.getOrDefault(group, Set.of()).stream().map(Proxy::status)
                .sorted(Comparator.comparing(ProxyStatus::connectedAt).thenComparing(ProxyStatus::streamId)).toList();
    }

    private void groupChanged(String group) {
        try {
            onGroupChange.accept(group);
        } catch (RuntimeException e) {
            LOG.warn("group change listener failed for {}", group, e);
        }
    }

    /** The connected proxies, oldest first. */
    public List<ProxyStatus> proxies() {
        return proxies.values().stream()
                .map(Proxy::status)
                .sorted(Comparator.comparing(ProxyStatus::connectedAt).thenComparing(ProxyStatus::streamId))
                .toList();
    }

    public int connectedCount() {
        return proxies.size();
    }

    /** Each group that has a connected proxy, with one of its nodes (for generation). */
    Map<String, Node> groups() {
        Map<String, Node> groups = new HashMap<>();
        byGroup.forEach((group, members) -> members.stream().findAny().ifPresent(p -> groups.put(group, p.node)));
        return groups;
    }

    /**
     * Remembers that {@code group} is about to be pushed {@code versions} (type URL → version) for a
     * snapshot that arrived at {@code arrivalNanos}; each proxy's ACK of it records a push latency.
     * Called before the snapshot is set, so that no ACK can beat it.
     */
    void expectAcks(String group, Map<String, String> versions, long arrivalNanos) {
        for (Proxy proxy : byGroup.getOrDefault(group, Set.of())) {
            proxy.expect(versions, arrivalNanos);
        }
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        onRequest(streamId, request.hasNode() ? request.getNode() : null, false, request.getTypeUrl(),
                request.getResponseNonce(), request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null,
                proxy -> request.getVersionInfo());
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
        // A delta ACK names only the nonce; the version is the one that response carried.
        onRequest(streamId, request.hasNode() ? request.getNode() : null, true, request.getTypeUrl(),
                request.getResponseNonce(), request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null,
                proxy -> proxy.sentVersion(request.getTypeUrl(), request.getResponseNonce()));
    }

    @Override
    public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
        onResponse(streamId, response.getTypeUrl(), response.getNonce(), response.getVersionInfo());
    }

    @Override
    public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
        onResponse(streamId, response.getTypeUrl(), response.getNonce(), response.getSystemVersionInfo());
    }

    /**
     * @param errorDetail the NACK's message, or null when the request is not a NACK
     * @param ackedVersion the version an ACK on this request accepts (null if unknown)
     */
    private void onRequest(long streamId, Node node, boolean delta, String typeUrl, String nonce, String errorDetail,
                           Function<Proxy, String> ackedVersion) {
        Proxy proxy = proxyFor(streamId, node, delta);
        if (proxy == null) {
            return;
        }
        if (errorDetail != null) {
            proxy.nack(typeUrl, nonce, errorDetail);
        } else if (nonce.isEmpty() && !delta) {
            // A first request naming a version (a proxy that reconnects, say to a restarted control plane)
            // says what it holds; when that is current the library sends nothing, so this is all we learn.
            String held = ackedVersion.apply(proxy);
            if (held != null && !held.isEmpty()) {
                proxy.holds(typeUrl, held);
            }
        } else if (!nonce.isEmpty()) {
            String version = ackedVersion.apply(proxy);
            if (version != null) {
                proxy.ack(typeUrl, version);
            }
        }
    }

    private void onResponse(long streamId, String typeUrl, String nonce, String version) {
        metrics.push();
        Proxy proxy = proxies.get(streamId);
        if (proxy != null) {
            proxy.sent(typeUrl, nonce, version);
        }
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
        remove(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
        remove(streamId);
    }

    private void remove(long streamId) {
        Proxy proxy = proxies.remove(streamId);
        if (proxy != null) {
            byGroup.computeIfPresent(proxy.group, (group, members) -> {
                members.remove(proxy);
                return members.isEmpty() ? null : members;
            });
            groupChanged(proxy.group);
        }
    }

    private Proxy proxyFor(long streamId, Node node, boolean delta) {
        Proxy known = proxies.get(streamId);
        if (known != null || node == null) {
            return known;
        }
        String group = groupKeys.groupOf(node);
        Proxy proxy = new Proxy(streamId, node, group, delta, clock.instant());
        // Registered before generating, so that a config change racing with this stream regenerates its group too.
        proxies.put(streamId, proxy);
        byGroup.compute(group, (g, members) -> {
            Set<Proxy> set = members == null ? ConcurrentHashMap.newKeySet() : members;
            set.add(proxy);
            return set;
        });
        // The library opens the stream's watch right after this callback; a watch on a group without a
        // snapshot would wait for the next config change, so the group's snapshot is made now.
        onNewProxy.accept(group, node);
        groupChanged(group);
        return proxy;
    }

    /** One stream's mutable state; every method is synchronized because gRPC threads race on it. */
    private final class Proxy {
        final long streamId;
        final Node node;
        final String group;
        final boolean delta;
        final Instant connectedAt;
        private final Map<String, String> acked = new HashMap<>();
        private final Map<String, Sent> lastSent = new HashMap<>();
        private final Map<String, String> lastLoggedNackNonce = new HashMap<>();
        private final Map<String, Expected> expected = new LinkedHashMap<>();
        private ProxyStatus.Nack lastNack;

        Proxy(long streamId, Node node, String group, boolean delta, Instant connectedAt) {
            this.streamId = streamId;
            this.node = node;
            this.group = group;
            this.delta = delta;
            this.connectedAt = connectedAt;
        }

        synchronized void sent(String typeUrl, String nonce, String version) {
            lastSent.put(typeUrl, new Sent(nonce, version));
        }

        /** The proxy says it holds {@code version} (from before this stream): it counts as sent and ACKed. */
        void holds(String typeUrl, String version) {
            synchronized (this) {
                lastSent.putIfAbsent(typeUrl, new Sent("", version));
            }
            ack(typeUrl, version);
        }

        synchronized String sentVersion(String typeUrl, String nonce) {
            Sent sent = lastSent.get(typeUrl);
            return sent != null && sent.nonce.equals(nonce) ? sent.version : null;
        }

        synchronized void expect(Map<String, String> versions, long arrivalNanos) {
            versions.forEach((typeUrl, version) -> expected.put(typeUrl, new Expected(version, arrivalNanos)));
        }

        void ack(String typeUrl, String version) {
            Expected hit;
            boolean changed;
            synchronized (this) {
                changed = !version.equals(acked.put(typeUrl, version));
                Expected wanted = expected.get(typeUrl);
                hit = wanted != null && wanted.version.equals(version) ? expected.remove(typeUrl) : null;
            }
            if (hit != null) {
                metrics.pushLatency(System.nanoTime() - hit.arrivalNanos);
            }
            if (changed) {
                groupChanged(group);
            }
        }

        void nack(String typeUrl, String nonce, String message) {
            boolean first;
            String version;
            synchronized (this) {
                version = sentVersion(typeUrl, nonce);
                lastNack = new ProxyStatus.Nack(typeUrl, version == null ? "" : version, nonce, message, clock.instant());
                first = !nonce.equals(lastLoggedNackNonce.put(typeUrl, nonce));
            }
            // A client may repeat a NACK for the same response; one line and one count per response is enough.
            if (first) {
                groupChanged(group);
                metrics.nack();
                LOG.warn("NACK from proxy {} for {} version {}: {}", node.getId(), typeUrl,
                        version == null ? "?" : version, message);
            }
        }

        synchronized ProxyStatus status() {
            String namespace = NodeMetadata.string(node, "MESH_NAMESPACE", "default");
            return ProxyStatus.of(streamId, node.getId(), group, NodeMetadata.string(node, "MESH_WORKLOAD", ""), namespace,
                    connectedAt, delta, acked, sentVersions(), lastNack, NodeMetadata.string(node, "MESH_ADMIN_ADDRESS", ""),
                    NodeMetadata.string(node, "MESH_METRICS_ADDRESS", ""));
        }

        private Map<String, String> sentVersions() {
            Map<String, String> versions = new HashMap<>();
            lastSent.forEach((typeUrl, sent) -> versions.put(typeUrl, sent.version));
            return versions;
        }
    }

    private record Sent(String nonce, String version) {
    }

    private record Expected(String version, long arrivalNanos) {
    }
}
