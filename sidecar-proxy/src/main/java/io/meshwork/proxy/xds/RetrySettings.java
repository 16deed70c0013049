package io.meshwork.proxy.xds;

import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.meshwork.proxy.route.retry.RetryCondition;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A route's {@code retry_policy} from Envoy's fields, with Envoy's defaults (1 retry, backoff 25 ms up to ten times
 * that); the cluster's retry limit is read with its other thresholds ({@link CircuitBreakerSettings}). What the sidecar cannot do as asked (an
 * unknown condition or host predicate, retries restricted by headers) is NACKed naming the field.
 */
final class RetrySettings {

    static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";
    private static final Duration DEFAULT_BASE_INTERVAL = Duration.ofMillis(25);

    private RetrySettings() {
    }

    /** {@code where} is the route action's field, e.g. {@code ...routes[0].route}. */
    static io.meshwork.proxy.route.retry.RetryPolicy retryPolicy(RetryPolicy policy, String where)
            throws InvalidResourceException {
        String field = where + ".retry_policy";
        if (policy.getRetriableHeadersCount() > 0 || policy.getRetriableRequestHeadersCount() > 0
                || policy.hasRetryPriority() || policy.getRetryOptionsPredicatesCount() > 0
                || policy.hasRateLimitedRetryBackOff()) {
            throw new InvalidResourceException(field + ": retriable_headers, retriable_request_headers, retry_priority, "
                    + "retry_options_predicates and rate_limited_retry_back_off are not supported");
        }
        Set<RetryCondition> conditions = EnumSet.noneOf(RetryCondition.class);
        for (String name : new LinkedHashSet<>(java.util.List.of(policy.getRetryOn().split(",")))) {
            String condition = name.strip();
            if (condition.isEmpty()) {
                continue;
            }
            conditions.add(RetryCondition.byWireName(condition).orElseThrow(() -> new InvalidResourceException(field
                    + ".retry_on: \"" + condition + "\" is not a condition the sidecar supports ("
                    + String.join(", ", java.util.Arrays.stream(RetryCondition.values())
                            .map(RetryCondition::wireName).toList()) + ")")));
        }
        Set<Integer> codes = new LinkedHashSet<>();
        for (int code : policy.getRetriableStatusCodesList()) {
            if (code < 100 || code > 599) {
                throw new InvalidResourceException(field + ".retriable_status_codes: " + code
                        + " is not an HTTP status (100-599)");
            }
            codes.add(code);
        }
        int retries = policy.hasNumRetries() ? policy.getNumRetries().getValue() : 1;
        if (retries < 0) {
            throw new InvalidResourceException(field + ".num_retries " + Integer.toUnsignedString(retries)
                    + " is too large");
        }
        Duration perTry = policy.hasPerTryTimeout()
                ? ConnectionPolicies.duration(policy.getPerTryTimeout(), field + ".per_try_timeout") : Duration.ZERO;
        Duration base = DEFAULT_BASE_INTERVAL;
        Duration max = null;
        if (policy.hasRetryBackOff()) {
            RetryPolicy.RetryBackOff backOff = policy.getRetryBackOff();
            if (!backOff.hasBaseInterval() || Durations.toMillis(backOff.getBaseInterval()) <= 0) {
                throw new InvalidResourceException(field + ".retry_back_off.base_interval must be at least 1 ms");
            }
            base = ConnectionPolicies.duration(backOff.getBaseInterval(), field + ".retry_back_off.base_interval");
            if (backOff.hasMaxInterval()) {
                max = ConnectionPolicies.duration(backOff.getMaxInterval(), field + ".retry_back_off.max_interval");
                if (max.compareTo(base) < 0) {
                    throw new InvalidResourceException(field + ".retry_back_off.max_interval is shorter than "
                            + "base_interval");
                }
            }
        }
        boolean otherHosts = false;
        for (int i = 0; i < policy.getRetryHostPredicateCount(); i++) {
            RetryPolicy.RetryHostPredicate predicate = policy.getRetryHostPredicate(i);
            if (!predicate.getName().equals(PREVIOUS_HOSTS) && !predicate.getTypedConfig().is(PreviousHostsPredicate.class)) {
                throw new InvalidResourceException(field + ".retry_host_predicate[" + i + "]: \"" + predicate.getName()
                        + "\" is not supported (" + PREVIOUS_HOSTS + ")");
            }
            otherHosts = true;
        }
        int hostAttempts = (int) Math.max(1, Math.min(policy.getHostSelectionRetryMaxAttempts(), 100));
        return new io.meshwork.proxy.route.retry.RetryPolicy(retries, conditions, codes, perTry, base,
                max != null ? max : base.multipliedBy(10), otherHosts, hostAttempts);
    }
}
