package io.meshwork.controlplane.xds;

import java.time.Instant;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the control plane knows about one connected xDS stream: who it is, what it has ACKed,
 * and the last config it rejected.
 *
 * @param acked type URL → the last version the proxy ACKed
 * @param lastNack the last rejection, or null if it never rejected anything on this stream
 */
public record ProxyStatus(
        long streamId,
        String id,
        String group,
        String workload,
        String namespace,
        Instant connectedAt,
        boolean delta,
        SortedMap<String, String> acked,
        Nack lastNack) {

    public ProxyStatus {
        acked = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(acked));
    }

    /** A request with {@code error_detail}: the proxy rejected {@code version} of {@code typeUrl}. */
    public record Nack(String typeUrl, String version, String nonce, String message, Instant at) {
    }

    static ProxyStatus of(long streamId, String id, String group, String workload, String namespace,
                          Instant connectedAt, boolean delta, Map<String, String> acked, Nack lastNack) {
        return new ProxyStatus(streamId, id, group, workload, namespace, connectedAt, delta, new TreeMap<>(acked),
                lastNack);
    }
}
