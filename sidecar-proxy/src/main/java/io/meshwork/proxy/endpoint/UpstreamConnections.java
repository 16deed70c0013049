package io.meshwork.proxy.endpoint;

import java.time.Duration;

/**
 * How long a cluster's pooled upstream connections live, from Envoy's fields: {@code idleTimeout} from
 * {@code common_http_protocol_options.idle_timeout} (a connection with no request for it closes), and
 * HTTP/2 {@code connection_keepalive} (while streams are open, a connection silent for {@code keepaliveInterval}
 * is sent a PING and closed when nothing comes back within {@code keepaliveTimeout}). Zero: none.
 */
public record UpstreamConnections(Duration idleTimeout, Duration keepaliveInterval, Duration keepaliveTimeout) {

    /** Envoy's defaults: idle connections closed after an hour, no keepalive pings. */
    public static final UpstreamConnections ENVOY_DEFAULTS =
            new UpstreamConnections(Duration.ofHours(1), Duration.ZERO, Duration.ZERO);
}
