package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;

/**
 * The bounds of a sidecar listener's downstream connections, in Envoy's fields: every HTTP connection
 * manager gets {@code request_headers_timeout} 10 s (slowloris; HAProxy's {@code timeout http-request}
 * and Envoy's edge guide), {@code common_http_protocol_options.idle_timeout} 1 h and
 * {@code stream_idle_timeout} 5 min (Envoy's defaults, said out loud); every filter chain starts with
 * {@code envoy.filters.network.connection_limit} of {@value #MAX_CONNECTIONS} connections, so a flood of
 * connections cannot take the file descriptors the health port needs. {@code max_connection_duration}
 * stays unset, as in Envoy.
 */
final class DownstreamLimits {

    static final String CONNECTION_LIMIT_FILTER = "envoy.filters.network.connection_limit";
    static final long MAX_CONNECTIONS = 4096;
    static final Duration REQUEST_HEADERS_TIMEOUT = EnvoyProtos.seconds(10);
    static final Duration IDLE_TIMEOUT = EnvoyProtos.seconds(3600);
    static final Duration STREAM_IDLE_TIMEOUT = EnvoyProtos.seconds(300);

    private DownstreamLimits() {
    }

    /** {@code listener} with the connection limit first in every chain and the timeouts on its HTTP managers. */
    static Listener apply(Listener listener) {
        Listener.Builder bounded = listener.toBuilder();
        for (FilterChain.Builder chain : bounded.getFilterChainsBuilderList()) {
            bound(chain, listener.getName());
        }
        if (bounded.hasDefaultFilterChain()) {
            bound(bounded.getDefaultFilterChainBuilder(), listener.getName());
        }
        return bounded.build();
    }

    private static void bound(FilterChain.Builder chain, String listenerName) {
        for (Filter.Builder filter : chain.getFiltersBuilderList()) {
            if (filter.getTypedConfig().is(HttpConnectionManager.class)) {
                filter.setTypedConfig(Any.pack(withTimeouts(unpack(filter.getTypedConfig()))));
            }
        }
        chain.addFilters(0, Filter.newBuilder()
                .setName(CONNECTION_LIMIT_FILTER)
                .setTypedConfig(Any.pack(ConnectionLimit.newBuilder()
                        .setStatPrefix(listenerName)
                        .setMaxConnections(UInt64Value.of(MAX_CONNECTIONS))
                        .build())));
    }

    private static HttpConnectionManager withTimeouts(HttpConnectionManager manager) {
        return manager.toBuilder()
                .setRequestHeadersTimeout(REQUEST_HEADERS_TIMEOUT)
                .setStreamIdleTimeout(STREAM_IDLE_TIMEOUT)
                .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder().setIdleTimeout(IDLE_TIMEOUT))
                .build();
    }

    private static HttpConnectionManager unpack(Any config) {
        try {
            return config.unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("translation made an undecodable HttpConnectionManager", e);
        }
    }
}
