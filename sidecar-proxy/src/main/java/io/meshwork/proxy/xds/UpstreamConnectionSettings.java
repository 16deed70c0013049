package io.meshwork.proxy.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.KeepaliveSettings;
import io.meshwork.proxy.endpoint.UpstreamConnections;
import java.time.Duration;

/**
 * A cluster's {@link UpstreamConnections} from Envoy's fields: {@code common_http_protocol_options.idle_timeout}
 * and {@code http2_protocol_options.connection_keepalive}, in {@code typed_extension_protocol_options}'
 * {@code envoy.extensions.upstreams.http.v3.HttpProtocolOptions} (or the Cluster's own deprecated fields).
 * Absent: Envoy's defaults (idle 1 h, no pings).
 */
final class UpstreamConnectionSettings {

    private UpstreamConnectionSettings() {
    }

    /** {@code where} is "Cluster "name": field ". */
    static UpstreamConnections of(Cluster cluster, String where) throws InvalidResourceException {
        HttpProtocolOptions common = cluster.getCommonHttpProtocolOptions();
        Http2ProtocolOptions http2 = cluster.getHttp2ProtocolOptions();
        String field = where;
        Any typed = cluster.getTypedExtensionProtocolOptionsMap().get(ResourceConverter.HTTP_PROTOCOL_OPTIONS);
        if (typed != null) {
            field = where + "typed_extension_protocol_options[" + ResourceConverter.HTTP_PROTOCOL_OPTIONS + "].";
            var options = ResourceConverter.unpack(typed,
                    io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.class, field);
            common = options.hasCommonHttpProtocolOptions() ? options.getCommonHttpProtocolOptions() : common;
            http2 = options.getExplicitHttpConfig().hasHttp2ProtocolOptions()
                    ? options.getExplicitHttpConfig().getHttp2ProtocolOptions() : http2;
        }
        Duration idle = common.hasIdleTimeout()
                ? ConnectionPolicies.duration(common.getIdleTimeout(), field + "common_http_protocol_options.idle_timeout")
                : UpstreamConnections.ENVOY_DEFAULTS.idleTimeout();
        if (!http2.hasConnectionKeepalive()) {
            return new UpstreamConnections(idle, Duration.ZERO, Duration.ZERO);
        }
        KeepaliveSettings keepalive = http2.getConnectionKeepalive();
        String keepaliveField = field + "http2_protocol_options.connection_keepalive";
        Duration interval = ConnectionPolicies.duration(keepalive.getInterval(), keepaliveField + ".interval");
        Duration timeout = ConnectionPolicies.duration(keepalive.getTimeout(), keepaliveField + ".timeout");
        if (timeout.isZero()) {
            throw new InvalidResourceException(keepaliveField + ".timeout is missing (Envoy requires it)");
        }
        return new UpstreamConnections(idle, interval, timeout);
    }
}
