package io.meshwork.proxy.cluster;

import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.endpoint.UpstreamConnections;
import io.meshwork.proxy.tls.UpstreamTls;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A cluster as the data plane uses it: how to balance, how to connect, and its endpoints
 * (already joined with its ClusterLoadAssignment, each with the transport socket it takes).
 *
 * @param socketMatches Envoy's {@code transport_socket_matches}: the first whose {@code match} the
 *     endpoint's metadata contains picks its TLS (null: plaintext); none matching: {@code defaultTls}
 * @param thresholds its circuit breakers' limits (connections, pending requests, requests, retries)
 * @param outlierDetection when an endpoint is ejected for its errors; null for never
 */
public record ClusterConfig(String name, LbPolicy lbPolicy, Duration connectTimeout, boolean http2,
                            String service, String edsServiceName, List<EndpointConfig> endpoints,
                            List<SocketMatch> socketMatches, UpstreamTls defaultTls, UpstreamConnections connections,
                            Thresholds thresholds, OutlierDetection outlierDetection) {

    /** The load-balancing policies the sidecar implements. */
    public enum LbPolicy { ROUND_ROBIN, LEAST_REQUEST }

    /** One entry of {@code transport_socket_matches}. */
    public record SocketMatch(String name, Map<String, String> match, UpstreamTls tls) {
        public SocketMatch {
            match = Map.copyOf(match);
        }
    }

    public ClusterConfig {
        endpoints = List.copyOf(endpoints);
        socketMatches = List.copyOf(socketMatches);
    }

    /** With Envoy's default circuit breaker limits. */
    public ClusterConfig(String name, LbPolicy lbPolicy, Duration connectTimeout, boolean http2, String service,
                         String edsServiceName, List<EndpointConfig> endpoints, List<SocketMatch> socketMatches,
                         UpstreamTls defaultTls, UpstreamConnections connections) {
        this(name, lbPolicy, connectTimeout, http2, service, edsServiceName, endpoints, socketMatches, defaultTls,
                connections, Thresholds.ENVOY_DEFAULT, null);
    }

    /** How many retries may be in flight to the cluster at once (its circuit breakers' retry budget). */
    public RetryLimit retryLimit() {
        return thresholds.retries();
    }

    /** With Envoy's default upstream connection lifetimes. */
    public ClusterConfig(String name, LbPolicy lbPolicy, Duration connectTimeout, boolean http2, String service,
                         String edsServiceName, List<EndpointConfig> endpoints, List<SocketMatch> socketMatches,
                         UpstreamTls defaultTls) {
        this(name, lbPolicy, connectTimeout, http2, service, edsServiceName, endpoints, socketMatches, defaultTls,
                UpstreamConnections.ENVOY_DEFAULTS);
    }

    /** A plaintext cluster. */
    public ClusterConfig(String name, LbPolicy lbPolicy, Duration connectTimeout, boolean http2, String service,
                         String edsServiceName, List<EndpointConfig> endpoints) {
        this(name, lbPolicy, connectTimeout, http2, service, edsServiceName, endpoints, List.of(), null);
    }

    /** Whether the endpoints come from EDS (and so the cluster waits for its assignment). */
    public boolean usesEds() {
        return edsServiceName != null;
    }

    /** This cluster with {@code newEndpoints}, each given the TLS its transport socket match picks. */
    public ClusterConfig withEndpoints(List<EndpointConfig> newEndpoints) {
        List<EndpointConfig> resolved = newEndpoints.stream().map(e -> e.withTls(tlsFor(e))).toList();
        return new ClusterConfig(name, lbPolicy, connectTimeout, http2, service, edsServiceName, resolved,
                socketMatches, defaultTls, connections, thresholds, outlierDetection);
    }

    private UpstreamTls tlsFor(EndpointConfig endpoint) {
        for (SocketMatch match : socketMatches) {
            if (endpoint.socketMatch().entrySet().containsAll(match.match().entrySet())) {
                return match.tls();
            }
        }
        return defaultTls;
    }

    /** The SDS secrets this cluster's TLS trusts. */
    public java.util.stream.Stream<String> rootsSecrets() {
        return java.util.stream.Stream.concat(socketMatches.stream().map(SocketMatch::tls), java.util.stream.Stream.of(defaultTls))
                .filter(java.util.Objects::nonNull).map(UpstreamTls::rootsSecret);
    }
}
