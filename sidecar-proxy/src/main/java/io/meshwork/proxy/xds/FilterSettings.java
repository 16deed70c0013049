package io.meshwork.proxy.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.meshwork.proxy.filter.fault.FaultConfig;
import io.meshwork.proxy.filter.fault.FaultFilter;
import io.meshwork.proxy.filter.ratelimit.LocalRateLimitFilter;
import io.meshwork.proxy.route.RouteMatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The HTTP filters before the router that the sidecar runs besides RBAC: {@code envoy.filters.http.fault} (its config
 * and a route's {@code typed_per_filter_config}) and {@code envoy.filters.http.local_ratelimit}. What the sidecar
 * cannot do is NACKed naming the field, so a config never silently does less than it says.
 */
final class FilterSettings {

    private static final long MIN_FILL_INTERVAL_MILLIS = 50;

    private FilterSettings() {
    }

    // By type URL: Any.is(Class) would load the filters' protobuf classes in every sidecar, used or not.
    private static final String FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";
    private static final String LOCAL_RATE_LIMIT_TYPE =
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";

    static boolean isFault(HttpFilter filter) {
        return filter.getTypedConfig().getTypeUrl().equals(FAULT_TYPE);
    }

    static boolean isLocalRateLimit(HttpFilter filter) {
        return filter.getTypedConfig().getTypeUrl().equals(LOCAL_RATE_LIMIT_TYPE);
    }

    static FaultFilter faultFilter(HttpFilter filter, String statPrefix, String where) throws InvalidResourceException {
        return new FaultFilter(filter.getName(), statPrefix, fault(ResourceConverter.unpack(filter.getTypedConfig(),
                HTTPFault.class, where), where + ".typed_config(HTTPFault)"));
    }

    /** A route's {@code typed_per_filter_config}: the fault filter's HTTPFault; any other is NACKed. */
    static Map<String, Object> perFilterConfigs(Map<String, Any> configs, String where) throws InvalidResourceException {
        if (configs.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> read = new TreeMap<>();
        for (Map.Entry<String, Any> entry : new TreeMap<>(configs).entrySet()) {
            String field = where + ".typed_per_filter_config[\"" + entry.getKey() + "\"]";
            if (!entry.getValue().getTypeUrl().equals(FAULT_TYPE)) {
                throw new InvalidResourceException(field + " has unsupported type " + entry.getValue().getTypeUrl()
                        + " (envoy.extensions.filters.http.fault.v3.HTTPFault)");
            }
            read.put(entry.getKey(), fault(ResourceConverter.unpack(entry.getValue(), HTTPFault.class, field),
                    field + "(HTTPFault)"));
        }
        return read;
    }

    static FaultConfig fault(HTTPFault fault, String where) throws InvalidResourceException {
        if (!fault.getUpstreamCluster().isEmpty() || fault.getDownstreamNodesCount() > 0) {
            throw new InvalidResourceException(where + ": upstream_cluster and downstream_nodes are not supported");
        }
        if (fault.hasResponseRateLimit() || fault.hasMaxActiveFaults()) {
            throw new InvalidResourceException(where + ": response_rate_limit and max_active_faults are not supported");
        }
        Integer http = null;
        Integer grpc = null;
        int abortShare = 0;
        if (fault.hasAbort()) {
            FaultAbort abort = fault.getAbort();
            switch (abort.getErrorTypeCase()) {
                case HTTP_STATUS -> {
                    http = abort.getHttpStatus();
                    if (http < 200 || http >= 600) {
                        throw new InvalidResourceException(where + ".abort.http_status " + http + " is not in [200, 600)");
                    }
                }
                case GRPC_STATUS -> grpc = abort.getGrpcStatus();
                default -> throw new InvalidResourceException(where + ".abort." + abort.getErrorTypeCase()
                        .name().toLowerCase(java.util.Locale.ROOT) + " is not supported (http_status, grpc_status)");
            }
            abortShare = perMillion(abort.getPercentage());
        }
        Duration delay = null;
        int delayShare = 0;
        if (fault.hasDelay()) {
            var faultDelay = fault.getDelay();
            if (!faultDelay.hasFixedDelay()) {
                throw new InvalidResourceException(where + ".delay: only fixed_delay is supported (header_delay is not)");
            }
            delay = ConnectionPolicies.duration(faultDelay.getFixedDelay(), where + ".delay.fixed_delay");
            delayShare = perMillion(faultDelay.getPercentage());
        }
        List<RouteMatch.HeaderMatch> headers = new ArrayList<>();
        for (int i = 0; i < fault.getHeadersCount(); i++) {
            headers.add(ResourceConverter.header(fault.getHeaders(i), where + ".headers[" + i + "]"));
        }
        return new FaultConfig(http, grpc, abortShare, delay, delayShare, headers);
    }

    static LocalRateLimitFilter localRateLimit(HttpFilter filter, String listener, String where)
            throws InvalidResourceException {
        String field = where + ".typed_config(LocalRateLimit)";
        LocalRateLimit config = ResourceConverter.unpack(filter.getTypedConfig(), LocalRateLimit.class, where);
        if (config.getStatPrefix().isEmpty()) {
            throw new InvalidResourceException(field + ".stat_prefix is empty");
        }
        if (config.getDescriptorsCount() > 0 || config.getLocalRateLimitPerDownstreamConnection()
                || config.hasAlwaysConsumeDefaultTokenBucket() || config.getRateLimitsCount() > 0) {
            throw new InvalidResourceException(field + ": descriptors, rate_limits, "
                    + "local_rate_limit_per_downstream_connection and always_consume_default_token_bucket are not supported");
        }
        if (!config.hasTokenBucket()) {
            // Envoy: without a token bucket the filter limits nothing.
            return null;
        }
        var bucket = config.getTokenBucket();
        int tokens = bucket.getMaxTokens();
        int perFill = bucket.hasTokensPerFill() ? bucket.getTokensPerFill().getValue() : 1;
        if (tokens < 1) {
            throw new InvalidResourceException(field + ".token_bucket.max_tokens must be at least 1");
        }
        if (perFill != tokens) {
            throw new InvalidResourceException(field + ".token_bucket.tokens_per_fill " + perFill + " differs from "
                    + "max_tokens " + tokens + ": the sidecar's bucket refills whole (Resilience4j's AtomicRateLimiter)");
        }
        Duration fill = ConnectionPolicies.duration(bucket.getFillInterval(), field + ".token_bucket.fill_interval");
        if (fill.toMillis() < MIN_FILL_INTERVAL_MILLIS) {
            throw new InvalidResourceException(field + ".token_bucket.fill_interval must be at least 50ms, as Envoy's");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < config.getResponseHeadersToAddCount(); i++) {
            HeaderValueOption option = config.getResponseHeadersToAdd(i);
            headers.put(option.getHeader().getKey().toLowerCase(java.util.Locale.ROOT), option.getHeader().getValue());
        }
        return new LocalRateLimitFilter(config.getStatPrefix(), listener, tokens, fill,
                runtimePerMillion(config, true), runtimePerMillion(config, false), headers);
    }

    /** filter_enabled / filter_enforced: Envoy's default, when not set, is 0%. */
    private static int runtimePerMillion(LocalRateLimit config, boolean enabled) {
        boolean set = enabled ? config.hasFilterEnabled() : config.hasFilterEnforced();
        if (!set) {
            return 0;
        }
        RuntimeFractionalPercent share = enabled ? config.getFilterEnabled() : config.getFilterEnforced();
        return perMillion(share.getDefaultValue());
    }

    static int perMillion(FractionalPercent fraction) {
        long scale = switch (fraction.getDenominator()) {
            case HUNDRED -> 10_000;
            case TEN_THOUSAND -> 100;
            default -> 1;
        };
        return (int) Math.min(1_000_000, Integer.toUnsignedLong(fraction.getNumerator()) * scale);
    }
}
