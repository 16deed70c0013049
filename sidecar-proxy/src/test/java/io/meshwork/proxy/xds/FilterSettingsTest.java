package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import io.meshwork.proxy.admin.MeshMetrics;
import io.meshwork.proxy.filter.FilterContext;
import io.meshwork.proxy.filter.LocalReply;
import io.meshwork.proxy.filter.fault.FaultConfig;
import io.meshwork.proxy.filter.ratelimit.LocalRateLimitFilter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Envoy's fault and local rate limit configs as the sidecar reads them, and what it NACKs naming the field. */
class FilterSettingsTest {

    private static final FractionalPercent HALF = FractionalPercent.newBuilder().setNumerator(50)
            .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
    private static final FractionalPercent ALL = FractionalPercent.newBuilder().setNumerator(100)
            .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();

    private static LocalRateLimit.Builder limit(int maxTokens, int perFill, long fillMillis) {
        return LocalRateLimit.newBuilder().setStatPrefix("http_local_rate_limiter")
                .setTokenBucket(TokenBucket.newBuilder().setMaxTokens(maxTokens)
                        .setTokensPerFill(com.google.protobuf.UInt32Value.of(perFill))
                        .setFillInterval(Durations.fromMillis(fillMillis)))
                .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(ALL))
                .setFilterEnforced(RuntimeFractionalPercent.newBuilder().setDefaultValue(ALL));
    }

    private static HttpFilter filter(com.google.protobuf.Message config) {
        return HttpFilter.newBuilder().setName("f").setTypedConfig(Any.pack(config)).build();
    }

    private static HttpRequest request(String contentType) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        if (contentType != null) {
            request.headers().set("content-type", contentType);
        }
        return request;
    }

    @Test
    void aRoutesHttpFaultIsReadWithItsSharesPerMillion() throws Exception {
        FaultConfig config = FilterSettings.fault(HTTPFault.newBuilder()
                .setAbort(FaultAbort.newBuilder().setGrpcStatus(8).setPercentage(HALF))
                .setDelay(FaultDelay.newBuilder().setFixedDelay(Durations.fromMillis(200)).setPercentage(
                        FractionalPercent.newBuilder().setNumerator(125_000)
                                .setDenominator(FractionalPercent.DenominatorType.MILLION)))
                .build(), "route");
        assertThat(config).isEqualTo(new FaultConfig(null, 8, 500_000, Duration.ofMillis(200), 125_000,
                java.util.List.of()));
    }

    @Test
    void whatTheFaultFilterCannotDoIsNackedNamingTheField() {
        assertThatThrownBy(() -> FilterSettings.fault(HTTPFault.newBuilder().setAbort(FaultAbort.newBuilder()
                .setHeaderAbort(FaultAbort.HeaderAbort.getDefaultInstance())).build(), "r"))
                .hasMessage("r.abort.header_abort is not supported (http_status, grpc_status)");
        assertThatThrownBy(() -> FilterSettings.fault(HTTPFault.newBuilder().setUpstreamCluster("x").build(), "r"))
                .hasMessage("r: upstream_cluster and downstream_nodes are not supported");
        assertThatThrownBy(() -> FilterSettings.perFilterConfigs(Map.of("envoy.filters.http.rbac",
                Any.pack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBACPerRoute.getDefaultInstance())), "r"))
                .hasMessageContaining("r.typed_per_filter_config[\"envoy.filters.http.rbac\"] has unsupported type");
    }

    @Test
    void theLocalRateLimitRefusesPastItsBucketWith429RetryAfterAndGrpcUnavailable() throws Exception {
        LocalRateLimitFilter filter = FilterSettings.localRateLimit(filter(limit(2, 2, 10_000)
                .addResponseHeadersToAdd(io.envoyproxy.envoy.config.core.v3.HeaderValueOption.newBuilder()
                        .setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                                .setKey("x-envoy-ratelimited").setValue("true"))).build()), "inbound|8080", "f");
        FilterContext context = new FilterContext(null, null, new MeshMetrics("pay-0"));

        assertThat(filter.onRequest(request(null), context)).isNull();
        assertThat(filter.onRequest(request(null), context)).isNull();
        LocalReply refused = filter.onRequest(request(null), context);
        assertThat(refused.status().code()).isEqualTo(429);
        assertThat(refused.body()).isEqualTo("local_rate_limited");
        assertThat(refused.headers()).containsEntry("x-envoy-ratelimited", "true");
        assertThat(Long.parseLong(refused.headers().get("retry-after"))).isBetween(1L, 10L);
        LocalReply grpc = filter.onRequest(request("application/grpc"), context);
        assertThat(grpc.status().code()).isEqualTo(200);
        assertThat(grpc.headers()).containsEntry("grpc-status", "14").containsKey("retry-after");
        assertThat(context.metrics().filterStats()).containsEntry("http_local_rate_limiter.http_local_rate_limit.ok", 2L)
                .containsEntry("http_local_rate_limiter.http_local_rate_limit.rate_limited", 2L);
    }

    @Test
    void aBucketTheSidecarCannotKeepIsNackedNamingTheField() {
        assertThatThrownBy(() -> FilterSettings.localRateLimit(filter(limit(10, 5, 1_000).build()), "l", "f"))
                .hasMessageContaining("f.typed_config(LocalRateLimit).token_bucket.tokens_per_fill 5 differs from "
                        + "max_tokens 10");
        assertThatThrownBy(() -> FilterSettings.localRateLimit(filter(limit(10, 10, 20).build()), "l", "f"))
                .hasMessage("f.typed_config(LocalRateLimit).token_bucket.fill_interval must be at least 50ms, as Envoy's");
        assertThatThrownBy(() -> FilterSettings.localRateLimit(filter(limit(10, 10, 1_000)
                .setLocalRateLimitPerDownstreamConnection(true).build()), "l", "f"))
                .hasMessageContaining("local_rate_limit_per_downstream_connection");
    }

    @Test
    void withoutFilterEnabledTheBucketIsNeverConsultedAsInEnvoy() throws Exception {
        LocalRateLimitFilter filter = FilterSettings.localRateLimit(filter(limit(1, 1, 10_000).clearFilterEnabled()
                .build()), "l", "f");
        FilterContext context = new FilterContext(null, null, new MeshMetrics("pay-0"));
        for (int i = 0; i < 5; i++) {
            assertThat(filter.onRequest(request(null), context)).isNull();
        }
    }
}
