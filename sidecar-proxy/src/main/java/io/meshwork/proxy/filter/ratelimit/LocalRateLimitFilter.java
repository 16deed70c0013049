package io.meshwork.proxy.filter.ratelimit;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.meshwork.proxy.filter.FilterContext;
import io.meshwork.proxy.filter.HttpFilter;
import io.meshwork.proxy.filter.LocalReply;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code envoy.filters.http.local_ratelimit}: one token bucket for the listener's requests (shared by its connections
 * and event loops), Resilience4j's {@link AtomicRateLimiter} with a zero timeout, so that a request past it is refused
 * at once and nothing waits: {@code tokens} a period, refilled whole every {@code fillInterval} (Envoy's token bucket
 * with {@code max_tokens} = {@code tokens_per_fill}). A refused request gets 429 {@code local_rate_limited} (a gRPC
 * call UNAVAILABLE, as Envoy's local reply maps 429) with the config's {@code response_headers_to_add} and
 * {@code retry-after}, the seconds until a token is back (rounded up). Counted as Envoy's
 * {@code <stat_prefix>.http_local_rate_limit.ok} and {@code rate_limited}, and by listener on 15090. A new config of the
 * listener starts with a full bucket, as an Envoy listener update does.
 *
 * @param enabledPerMillion share of requests the bucket is consulted for ({@code filter_enabled})
 * @param enforcedPerMillion share of those refused when it is empty ({@code filter_enforced}; others only counted)
 */
public final class LocalRateLimitFilter implements HttpFilter {

    private static final int MILLION = 1_000_000;

    private final String statPrefix;
    private final String listener;
    private final int tokens;
    private final Duration fillInterval;
    private final int enabledPerMillion;
    private final int enforcedPerMillion;
    private final Map<String, String> responseHeaders;
    private final AtomicRateLimiter bucket;

    public LocalRateLimitFilter(String statPrefix, String listener, int tokens, Duration fillInterval,
                                int enabledPerMillion, int enforcedPerMillion, Map<String, String> responseHeaders) {
        this.statPrefix = statPrefix;
        this.listener = listener;
        this.tokens = tokens;
        this.fillInterval = fillInterval;
        this.enabledPerMillion = enabledPerMillion;
        this.enforcedPerMillion = enforcedPerMillion;
        this.responseHeaders = Map.copyOf(responseHeaders);
        this.bucket = new AtomicRateLimiter(listener, RateLimiterConfig.custom()
                .limitForPeriod(tokens)
                .limitRefreshPeriod(fillInterval)
                .timeoutDuration(Duration.ZERO)
                .build());
    }

    @Override
    public LocalReply onRequest(HttpRequest request, FilterContext context) {
        if (!drawn(enabledPerMillion)) {
            return null;
        }
        if (bucket.acquirePermission(1)) {
            context.metrics().rateLimit(statPrefix, listener, false);
            return null;
        }
        context.metrics().rateLimit(statPrefix, listener, true);
        if (!drawn(enforcedPerMillion)) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>(responseHeaders);
        headers.put("retry-after", Long.toString(retryAfterSeconds()));
        if (LocalReply.isGrpc(request)) {
            return LocalReply.grpc(LocalReply.grpcStatusOf(429), "local_rate_limited", headers);
        }
        return new LocalReply(HttpResponseStatus.TOO_MANY_REQUESTS, "local_rate_limited", headers);
    }

    /** Whole seconds until the bucket has a token again, at least 1. */
    long retryAfterSeconds() {
        long nanos = Math.max(0, bucket.getDetailedMetrics().getNanosToWait());
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    private static boolean drawn(int perMillion) {
        return perMillion >= MILLION || (perMillion > 0 && ThreadLocalRandom.current().nextInt(MILLION) < perMillion);
    }

    public int tokens() {
        return tokens;
    }

    public Duration fillInterval() {
        return fillInterval;
    }
}
