package io.meshwork.proxy.listener;

import java.time.Duration;

/**
 * How long a listener's downstream connections may wait and how many it takes, from Envoy's fields:
 * the HttpConnectionManager's {@code request_headers_timeout}, {@code common_http_protocol_options.idle_timeout}
 * and {@code max_connection_duration}, {@code stream_idle_timeout}, and the {@code max_connections} of the
 * chains' {@code envoy.filters.network.connection_limit}. A zero duration or limit means none.
 */
public record ConnectionPolicy(Duration requestHeadersTimeout, Duration idleTimeout, Duration maxConnectionDuration,
                               Duration streamIdleTimeout, int maxConnections) {

    /** What Envoy does when the config says nothing: idle connections 1 h, idle streams 5 min, no other bound. */
    public static final ConnectionPolicy ENVOY_DEFAULTS = new ConnectionPolicy(Duration.ZERO, Duration.ofHours(1),
            Duration.ZERO, Duration.ofMinutes(5), 0);

    public ConnectionPolicy withMaxConnections(int max) {
        return new ConnectionPolicy(requestHeadersTimeout, idleTimeout, maxConnectionDuration, streamIdleTimeout, max);
    }
}
