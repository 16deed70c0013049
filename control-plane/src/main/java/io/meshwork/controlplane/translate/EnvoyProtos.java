package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.Map;

/** Small constructors of the Envoy messages several builders share. */
final class EnvoyProtos {

    private EnvoyProtos() {
    }

    /** grpc-java speaks ADS only, so every RDS and EDS source says {@code ads}. */
    static ConfigSource ads() {
        return ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3)
                .build();
    }

    static Address socketAddress(String ip, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
                .build();
    }

    static Duration seconds(long seconds) {
        return Duration.newBuilder().setSeconds(seconds).build();
    }

    static Duration duration(java.time.Duration duration) {
        return Duration.newBuilder().setSeconds(duration.getSeconds()).setNanos(duration.getNano()).build();
    }

    static UInt32Value uint32(long value) {
        return UInt32Value.of((int) value);
    }

    /** A full-match RE2 regex, the only engine Envoy and grpc-java share. */
    @SuppressWarnings("deprecation")
    static RegexMatcher regex(String pattern) {
        return RegexMatcher.newBuilder()
                .setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance())
                .setRegex(pattern)
                .build();
    }

    /** {@code filter_metadata["meshwork.io"]} holding {@code fields}; strings, numbers and booleans. */
    static Metadata meshMetadata(Map<String, Object> fields) {
        Struct.Builder struct = Struct.newBuilder();
        fields.forEach((key, value) -> struct.putFields(key, value(value)));
        return Metadata.newBuilder().putFilterMetadata(ResourceNames.METADATA_KEY, struct.build()).build();
    }

    private static Value value(Object value) {
        if (value instanceof Boolean b) {
            return Value.newBuilder().setBoolValue(b).build();
        }
        if (value instanceof Number n) {
            return Value.newBuilder().setNumberValue(n.doubleValue()).build();
        }
        return Value.newBuilder().setStringValue(String.valueOf(value)).build();
    }

    /** grpc-java NACKs an HttpConnectionManager whose filters do not end with this typed router. */
    static HttpFilter router() {
        return HttpFilter.newBuilder()
                .setName(ResourceNames.ROUTER_FILTER)
                .setTypedConfig(Any.pack(Router.getDefaultInstance()))
                .build();
    }

    static HttpConnectionManager rdsConnectionManager(String statPrefix, String routeConfigName) {
        return HttpConnectionManager.newBuilder()
                .setStatPrefix(statPrefix)
                .setCodecType(HttpConnectionManager.CodecType.AUTO)
                .setRds(Rds.newBuilder().setConfigSource(ads()).setRouteConfigName(routeConfigName))
                .addHttpFilters(router())
                .build();
    }

    static HttpConnectionManager inlineConnectionManager(String statPrefix, RouteConfiguration routes) {
        return HttpConnectionManager.newBuilder()
                .setStatPrefix(statPrefix)
                .setCodecType(HttpConnectionManager.CodecType.AUTO)
                .setRouteConfig(routes)
                .addHttpFilters(router())
                .build();
    }

    static Filter networkFilter(HttpConnectionManager manager) {
        return Filter.newBuilder()
                .setName(ResourceNames.HTTP_CONNECTION_MANAGER)
                .setTypedConfig(Any.pack(manager))
                .build();
    }

    static Filter tcpProxy(String statPrefix, String cluster) {
        return Filter.newBuilder()
                .setName(ResourceNames.TCP_PROXY)
                .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster).build()))
                .build();
    }
}
