package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SelfConfigSource;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import io.meshwork.controlplane.model.MeshFaultInjection;
import io.meshwork.controlplane.model.MeshMirror;
import io.meshwork.controlplane.model.MeshRateLimit;
import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.ArrayList;
import java.util.List;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.type.v3.Percent;
import com.google.protobuf.UInt32Value;
import io.meshwork.controlplane.model.MeshCircuitBreaker;
import io.meshwork.controlplane.model.MeshRetry;
import io.meshwork.controlplane.model.MeshTimeout;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Policies;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServicePort;
import java.time.Duration;
import java.util.Optional;

/**
 * MeshTimeout, MeshRetry and MeshCircuitBreaker in Envoy's own fields. On the routes to a Service port: {@code timeout} (request),
 * {@code idle_timeout} (idle), {@code max_stream_duration} on gRPC ports (what grpc-java reads as the deadline, gRFC
 * A31) and {@code retry_policy} (gRFC A44 reads {@code retry_on}'s gRPC codes, {@code num_retries} and
 * {@code retry_back_off}). On its clusters: {@code connect_timeout} (connect) and {@code circuit_breakers.thresholds}
 * (the circuit breaker's {@code max_*} and the retry's {@code retry_budget}). Without a policy nothing is added, so the output stays as before.
 */
final class ResiliencePolicies {

    static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";
    static final String FAULT_FILTER = "envoy.filters.http.fault";
    static final String LOCAL_RATE_LIMIT_FILTER = "envoy.filters.http.local_ratelimit";
    /** Envoy's local rate limit counters are {@code <stat_prefix>.http_local_rate_limit.rate_limited}. */
    static final String LOCAL_RATE_LIMIT_STAT_PREFIX = "http_local_rate_limiter";
    /** What Envoy's rate limit filter marks a request it refused with. */
    static final String RATE_LIMITED_HEADER = "x-envoy-ratelimited";
    /** As Istio: how often to pick again when the host picked is one already tried. */
    static final int HOST_SELECTION_ATTEMPTS = 5;

    private ResiliencePolicies() {
    }

    /** {@code action} (which already has the default timeout) with the policies of calls to {@code port} of {@code service}. */
    static RouteAction.Builder route(RouteAction.Builder action, Policies policies, ObjectRef service, ServicePort port) {
        if (policies.isEmpty()) {
            return action;
        }
        Optional<MeshTimeout> timeout = policies.timeoutFor(service, port.port());
        Optional<MeshRetry> retry = policies.retryFor(service, port.port());
        Duration request = timeout.map(MeshTimeout::request).orElse(null);
        Duration perTry = retry.map(MeshRetry::perTryTimeout)
                .or(() -> timeout.map(MeshTimeout::perTry)).orElse(null);
        if (retry.isEmpty() && perTry != null) {
            // A try timeout without retries is the request's: the one try must end by then.
            Duration current = request != null ? request : toJava(action.getTimeout());
            request = current.isZero() || perTry.compareTo(current) < 0 ? perTry : current;
        }
        if (request != null) {
            action.setTimeout(EnvoyProtos.duration(request));
            if (port.protocol() == Protocol.GRPC) {
                // A call's grpc-timeout sets its deadline, up to the policy's (Envoy's connection manager; grpc-java too).
                action.setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder()
                        .setMaxStreamDuration(EnvoyProtos.duration(request))
                        .setGrpcTimeoutHeaderMax(EnvoyProtos.duration(request)));
            }
        }
        timeout.map(MeshTimeout::idle).ifPresent(idle -> action.setIdleTimeout(EnvoyProtos.duration(idle)));
        retry.ifPresent(r -> action.setRetryPolicy(retryPolicy(r, perTry)));
        return action;
    }

    private static RetryPolicy retryPolicy(MeshRetry retry, Duration perTry) {
        RetryPolicy.Builder policy = RetryPolicy.newBuilder()
                .setRetryOn(String.join(",", retry.retryOn()))
                .setNumRetries(EnvoyProtos.uint32(retry.attempts()))
                .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
                        .setBaseInterval(EnvoyProtos.duration(retry.backoff().baseInterval()))
                        .setMaxInterval(EnvoyProtos.duration(retry.backoff().maxInterval())))
                // A retry goes to another endpoint when there is one.
                .addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                        .setName(PREVIOUS_HOSTS)
                        .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
                .setHostSelectionRetryMaxAttempts(HOST_SELECTION_ATTEMPTS);
        retry.retriableStatusCodes().forEach(policy::addRetriableStatusCodes);
        if (perTry != null) {
            policy.setPerTryTimeout(EnvoyProtos.duration(perTry));
        }
        return policy.build();
    }

    /**
     * {@code cluster} with the connect timeout, and the circuit breaker's limits with the retry budget in one
     * DEFAULT-priority {@code circuit_breakers.thresholds}, of the policies that target {@code port} of {@code service}.
     */
    static Cluster.Builder cluster(Cluster.Builder cluster, Policies policies, ObjectRef service, ServicePort port) {
        if (policies.isEmpty()) {
            return cluster;
        }
        policies.timeoutFor(service, port.port()).map(MeshTimeout::connect)
                .ifPresent(connect -> cluster.setConnectTimeout(EnvoyProtos.duration(connect)));
        Optional<MeshRetry.Budget> budget = policies.retryFor(service, port.port()).map(MeshRetry::budget);
        Optional<MeshCircuitBreaker> policy = policies.circuitBreakerFor(service, port.port());
        policy.map(MeshCircuitBreaker::outlierDetection)
                .ifPresent(outliers -> cluster.setOutlierDetection(outlierDetection(outliers)));
        Optional<MeshCircuitBreaker> breaker = policy.filter(MeshCircuitBreaker::hasThresholds);
        if (budget.isEmpty() && breaker.isEmpty()) {
            return cluster;
        }
        CircuitBreakers.Thresholds.Builder thresholds = CircuitBreakers.Thresholds.newBuilder()
                .setPriority(RoutingPriority.DEFAULT);
        breaker.ifPresent(b -> {
            setIfPresent(b.maxConnections(), thresholds::setMaxConnections);
            setIfPresent(b.maxPendingRequests(), thresholds::setMaxPendingRequests);
            setIfPresent(b.maxRequests(), thresholds::setMaxRequests);
            setIfPresent(b.maxRetries(), thresholds::setMaxRetries);
        });
        // With a budget Envoy ignores max_retries: the budget bounds retries.
        budget.ifPresent(b -> thresholds.setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                .setBudgetPercent(Percent.newBuilder().setValue(b.percent()))
                .setMinRetryConcurrency(EnvoyProtos.uint32(b.minRetriesPerSecond()))));
        return cluster.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(thresholds));
    }

    /**
     * Outlier detection as Istio writes it: only the detectors the policy sets are enforced (Envoy's enforcing
     * percentages 100, else 0); success rate's {@code success_rate_*} fields only when the policy has one.
     */
    private static OutlierDetection outlierDetection(MeshCircuitBreaker.OutlierDetection outliers) {
        OutlierDetection.Builder detection = OutlierDetection.newBuilder()
                .setInterval(EnvoyProtos.duration(outliers.interval()))
                .setBaseEjectionTime(EnvoyProtos.duration(outliers.baseEjectionTime()))
                .setMaxEjectionPercent(EnvoyProtos.uint32(outliers.maxEjectionPercent()))
                .setEnforcingSuccessRate(EnvoyProtos.uint32(outliers.successRate() != null ? 100 : 0))
                .setEnforcingConsecutive5Xx(EnvoyProtos.uint32(outliers.consecutive5xx() != null ? 100 : 0))
                .setEnforcingConsecutiveGatewayFailure(EnvoyProtos.uint32(
                        outliers.consecutiveGatewayErrors() != null ? 100 : 0));
        setIfPresent(outliers.consecutive5xx(), detection::setConsecutive5Xx);
        setIfPresent(outliers.consecutiveGatewayErrors(), detection::setConsecutiveGatewayFailure);
        if (outliers.successRate() != null) {
            detection.setSuccessRateMinimumHosts(EnvoyProtos.uint32(outliers.successRate().minimumHosts()))
                    .setSuccessRateRequestVolume(EnvoyProtos.uint32(outliers.successRate().requestVolume()))
                    .setSuccessRateStdevFactor(EnvoyProtos.uint32(outliers.successRate().standardDeviationFactor()));
        }
        return detection.build();
    }

    /**
     * A proxyless client's {@code cluster} with {@code lrs_server} {@code self} when a MeshCircuitBreaker sets its
     * {@code maxRequests}: grpc-java counts calls in flight, and so enforces {@code max_requests}, only for clusters
     * that report load (the control plane takes the reports and ignores them, {@code xds.LoadReportSink}).
     */
    static Cluster.Builder proxylessCluster(Cluster.Builder cluster, Policies policies, ObjectRef service,
                                            ServicePort port) {
        if (policies.circuitBreakerFor(service, port.port()).map(MeshCircuitBreaker::maxRequests).isPresent()) {
            cluster.setLrsServer(ConfigSource.newBuilder().setSelf(SelfConfigSource.getDefaultInstance()));
        }
        return cluster;
    }

    /** The fault filter of an HttpConnectionManager, before the router: empty, each route carries its own config. */
    static HttpFilter faultFilter() {
        return HttpFilter.newBuilder().setName(FAULT_FILTER).setTypedConfig(Any.pack(HTTPFault.getDefaultInstance()))
                .build();
    }

    /** {@code manager} with the fault filter first when the snapshot has a MeshFaultInjection (else unchanged). */
    static HttpConnectionManager withFaultFilter(HttpConnectionManager manager, Policies policies) {
        if (policies.faults().isEmpty()) {
            return manager;
        }
        return manager.toBuilder().addHttpFilters(manager.getHttpFiltersCount() - 1, faultFilter()).build();
    }

    /**
     * The routes of {@code port} of {@code service}'s virtual host with its MeshFaultInjection in
     * {@code typed_per_filter_config["envoy.filters.http.fault"]} and its MeshMirror in
     * {@code request_mirror_policies}. grpc-java ignores HTTPFault's {@code headers}, so for a proxyless client a
     * header-matched fault becomes a route of its own ahead of each route, with the headers in its match.
     */
    static VirtualHost.Builder virtualHost(VirtualHost.Builder host, MeshSnapshot snapshot, ObjectRef service,
                                           ServicePort port, boolean proxyless) {
        Policies policies = snapshot.policies();
        if (policies.faults().isEmpty() && policies.mirrors().isEmpty()) {
            return host;
        }
        Optional<MeshFaultInjection> fault = policies.faultFor(service, port.port());
        Optional<RouteAction.RequestMirrorPolicy> mirror = policies.mirrorFor(service, port.port())
                .flatMap(m -> mirrorPolicy(snapshot, m, port));
        if (fault.isEmpty() && mirror.isEmpty()) {
            return host;
        }
        boolean ownRoutes = proxyless && fault.isPresent() && !fault.get().headers().isEmpty();
        Any faultConfig = fault.map(f -> Any.pack(httpFault(f, !ownRoutes))).orElse(null);
        List<Route> routes = new ArrayList<>();
        for (Route route : host.getRoutesList()) {
            Route.Builder policed = route.toBuilder();
            if (mirror.isPresent() && policed.hasRoute()) {
                policed.getRouteBuilder().addRequestMirrorPolicies(mirror.get());
            }
            if (faultConfig != null && ownRoutes) {
                Route.Builder faulted = policed.clone().setName(route.getName() + "/fault")
                        .putTypedPerFilterConfig(FAULT_FILTER, faultConfig);
                fault.get().headers().forEach((name, value) -> faulted.getMatchBuilder().addHeaders(
                        HeaderMatcher.newBuilder().setName(name).setStringMatch(StringMatcher.newBuilder().setExact(value))));
                routes.add(faulted.build());
            } else if (faultConfig != null) {
                policed.putTypedPerFilterConfig(FAULT_FILTER, faultConfig);
            }
            routes.add(policed.build());
        }
        return host.clearRoutes().addAllRoutes(routes);
    }

    /** Envoy's HTTPFault of a MeshFaultInjection; {@code withHeaders}: its header match in {@code headers}. */
    static HTTPFault httpFault(MeshFaultInjection fault, boolean withHeaders) {
        HTTPFault.Builder config = HTTPFault.newBuilder();
        if (fault.abort() != null) {
            FaultAbort.Builder abort = FaultAbort.newBuilder().setPercentage(fraction(fault.abort().percentage()));
            if (fault.abort().httpStatus() != null) {
                abort.setHttpStatus(fault.abort().httpStatus());
            } else {
                abort.setGrpcStatus(fault.abort().grpcStatus());
            }
            config.setAbort(abort);
        }
        if (fault.delay() != null) {
            config.setDelay(FaultDelay.newBuilder().setFixedDelay(EnvoyProtos.duration(fault.delay().fixedDelay()))
                    .setPercentage(fraction(fault.delay().percentage())));
        }
        if (withHeaders) {
            fault.headers().forEach((name, value) -> config.addHeaders(HeaderMatcher.newBuilder().setName(name)
                    .setStringMatch(StringMatcher.newBuilder().setExact(value))));
        }
        return config.build();
    }

    /** A MeshMirror's policy: the same port of its backend, when the backend has it (else nothing is mirrored). */
    private static Optional<RouteAction.RequestMirrorPolicy> mirrorPolicy(MeshSnapshot snapshot, MeshMirror mirror,
                                                                          ServicePort port) {
        return snapshot.service(mirror.backend()).flatMap(backend -> backend.port(port.port())).map(p -> {
            RouteAction.RequestMirrorPolicy.Builder policy = RouteAction.RequestMirrorPolicy.newBuilder()
                    .setCluster(ResourceNames.outboundCluster(mirror.backend(), port.port()));
            if (mirror.percentage() < 100) {
                policy.setRuntimeFraction(RuntimeFractionalPercent.newBuilder()
                        .setDefaultValue(fraction(mirror.percentage())));
            }
            return policy.build();
        });
    }

    /** A percentage as Envoy's FractionalPercent: per hundred when whole, else per million. */
    static FractionalPercent fraction(double percentage) {
        if (percentage == Math.rint(percentage)) {
            return FractionalPercent.newBuilder().setNumerator((int) percentage)
                    .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
        }
        return FractionalPercent.newBuilder().setNumerator((int) Math.round(percentage * 10_000))
                .setDenominator(FractionalPercent.DenominatorType.MILLION).build();
    }

    /**
     * {@code manager} (of an inbound port) with {@code envoy.filters.http.local_ratelimit} before the router for the
     * MeshRateLimit of one of the Service ports the port serves (else unchanged): a bucket of {@code burst} tokens,
     * refilled whole every {@code burst / requestsPerSecond} s, enforced for every request.
     */
    static HttpConnectionManager withRateLimit(HttpConnectionManager manager, Optional<MeshRateLimit> limit,
                                               String statPrefix) {
        if (limit.isEmpty()) {
            return manager;
        }
        return manager.toBuilder().addHttpFilters(manager.getHttpFiltersCount() - 1, rateLimitFilter(limit.get(),
                statPrefix)).build();
    }

    static HttpFilter rateLimitFilter(MeshRateLimit limit, String statPrefix) {
        FractionalPercent all = FractionalPercent.newBuilder().setNumerator(100)
                .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
        java.time.Duration fill = limit.fillInterval();
        LocalRateLimit config = LocalRateLimit.newBuilder()
                .setStatPrefix(LOCAL_RATE_LIMIT_STAT_PREFIX)
                .setTokenBucket(TokenBucket.newBuilder()
                        .setMaxTokens(limit.burst())
                        .setTokensPerFill(EnvoyProtos.uint32(limit.burst()))
                        .setFillInterval(com.google.protobuf.Duration.newBuilder().setSeconds(fill.getSeconds())
                                .setNanos(fill.getNano())))
                .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(all)
                        .setRuntimeKey(statPrefix + "_local_rate_limit_enabled"))
                .setFilterEnforced(RuntimeFractionalPercent.newBuilder().setDefaultValue(all)
                        .setRuntimeKey(statPrefix + "_local_rate_limit_enforced"))
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey(RATE_LIMITED_HEADER).setValue("true"))
                        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .build();
        return HttpFilter.newBuilder().setName(LOCAL_RATE_LIMIT_FILTER).setTypedConfig(Any.pack(config)).build();
    }

    private static void setIfPresent(Integer limit, java.util.function.Function<UInt32Value, ?> setter) {
        if (limit != null) {
            setter.apply(EnvoyProtos.uint32(limit));
        }
    }

    private static Duration toJava(com.google.protobuf.Duration duration) {
        return Duration.ofSeconds(duration.getSeconds(), duration.getNanos());
    }
}
