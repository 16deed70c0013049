package io.meshwork.proxy.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.meshwork.proxy.listener.ConnectionPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener's {@link ConnectionPolicy} from its chains: the HttpConnectionManager's timeouts (Envoy's
 * defaults where a field is absent) and the {@code max_connections} of {@code envoy.filters.network.connection_limit}.
 * The sidecar applies one policy per listener, so the chains that carry them must agree (translation
 * puts the same on every chain); a listener whose chains differ is refused, naming both.
 */
final class ConnectionPolicies {

    static final String CONNECTION_LIMIT = "envoy.filters.network.connection_limit";

    private ConnectionPolicies() {
    }

    static ConnectionPolicy of(Listener listener, String where) throws InvalidResourceException {
        List<FilterChain> chains = new ArrayList<>(listener.getFilterChainsList());
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < chains.size(); i++) {
            fields.add("filter_chains[" + i + "]");
        }
        if (listener.hasDefaultFilterChain()) {
            chains.add(listener.getDefaultFilterChain());
            fields.add("default_filter_chain");
        }
        ConnectionPolicy timeouts = null;
        String timeoutsFrom = null;
        Long limit = null;
        String limitFrom = null;
        for (int c = 0; c < chains.size(); c++) {
            List<Filter> filters = chains.get(c).getFiltersList();
            for (int f = 0; f < filters.size(); f++) {
                Any config = filters.get(f).getTypedConfig();
                String field = where + ": field " + fields.get(c) + ".filters[" + f + "].typed_config";
                if (config.is(HttpConnectionManager.class)) {
                    ConnectionPolicy these = timeouts(ResourceConverter.unpack(config, HttpConnectionManager.class,
                            field), field + "(HttpConnectionManager)");
                    if (timeouts != null && !timeouts.equals(these)) {
                        throw new InvalidResourceException(field + "(HttpConnectionManager): its timeouts differ from "
                                + timeoutsFrom + "'s; the sidecar applies one set per listener");
                    }
                    timeouts = these;
                    timeoutsFrom = fields.get(c);
                } else if (config.is(ConnectionLimit.class)) {
                    ConnectionLimit connectionLimit = ResourceConverter.unpack(config, ConnectionLimit.class, field);
                    long max = connectionLimit.getMaxConnections().getValue();
                    if (max < 1 || max > Integer.MAX_VALUE) {
                        throw new InvalidResourceException(field + "(ConnectionLimit).max_connections " + max
                                + " is not between 1 and " + Integer.MAX_VALUE);
                    }
                    if (limit != null && limit != max) {
                        throw new InvalidResourceException(field + "(ConnectionLimit).max_connections " + max
                                + " differs from " + limitFrom + "'s " + limit + "; the sidecar counts per listener");
                    }
                    limit = max;
                    limitFrom = fields.get(c);
                }
            }
        }
        ConnectionPolicy policy = timeouts == null ? ConnectionPolicy.ENVOY_DEFAULTS : timeouts;
        return limit == null ? policy : policy.withMaxConnections(limit.intValue());
    }

    private static ConnectionPolicy timeouts(HttpConnectionManager hcm, String where) throws InvalidResourceException {
        var common = hcm.getCommonHttpProtocolOptions();
        ConnectionPolicy defaults = ConnectionPolicy.ENVOY_DEFAULTS;
        return new ConnectionPolicy(
                hcm.hasRequestHeadersTimeout() ? duration(hcm.getRequestHeadersTimeout(), where
                        + ".request_headers_timeout") : defaults.requestHeadersTimeout(),
                common.hasIdleTimeout() ? duration(common.getIdleTimeout(), where
                        + ".common_http_protocol_options.idle_timeout") : defaults.idleTimeout(),
                common.hasMaxConnectionDuration() ? duration(common.getMaxConnectionDuration(), where
                        + ".common_http_protocol_options.max_connection_duration") : defaults.maxConnectionDuration(),
                hcm.hasStreamIdleTimeout() ? duration(hcm.getStreamIdleTimeout(), where + ".stream_idle_timeout")
                        : defaults.streamIdleTimeout(),
                0);
    }

    static Duration duration(com.google.protobuf.Duration value, String field) throws InvalidResourceException {
        Duration duration = Duration.ofSeconds(value.getSeconds(), value.getNanos());
        if (duration.isNegative()) {
            throw new InvalidResourceException(field + " " + duration + " is negative");
        }
        return duration;
    }
}
