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
 * @param sent type URL → the last version the control plane sent it (ACKed = sent means in sync)
 * @param lastNack the last rejection, or null if it never rejected anything on this stream
 * @param adminAddress the sidecar's admin {@code host:port} from node metadata {@code MESH_ADMIN_ADDRESS}, or empty
 * @param metricsAddress the sidecar's Prometheus {@code host:port} from {@code MESH_METRICS_ADDRESS}, or empty
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
        SortedMap<String, String> sent,
        Nack lastNack,
        String adminAddress,
        String metricsAddress) {

    public ProxyStatus {
        acked = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(acked));
        sent = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(sent));
    }

    /** A request with {@code error_detail}: the proxy rejected {@code version} of {@code typeUrl}. */
    public record Nack(String typeUrl, String version, String nonce, String message, Instant at) {
    }

    static ProxyStatus of(long streamId, String id, String group, String workload, String namespace,
                          Instant connectedAt, boolean delta, Map<String, String> acked, Map<String, String> sent,
                          Nack lastNack, String adminAddress, String metricsAddress) {
        return new ProxyStatus(streamId, id, group, workload, namespace, connectedAt, delta, new TreeMap<>(acked),
                new TreeMap<>(sent), lastNack, adminAddress, metricsAddress);
    }
}
