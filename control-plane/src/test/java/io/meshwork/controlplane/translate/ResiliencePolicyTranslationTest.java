package io.meshwork.controlplane.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MeshTimeout, MeshRetry and MeshCircuitBreaker, from YAML as users write it, in Envoy's fields on routes and clusters. */
class ResiliencePolicyTranslationTest {

    private static final String PAY_CLUSTER = "outbound|8080||pay.shop.svc.cluster.local";
    private static final String LEDGER_CLUSTER = "outbound|9090||ledger.shop.svc.cluster.local";
    private static final ProxyNode CLIENT = ProxyNode.sidecar(ObjectRef.of("shop", "cart-1"), "cart");

    private static final String SERVICES = """
            apiVersion: v1
            kind: Service
            metadata: {name: pay, namespace: shop}
            spec:
              selector: {app: pay}
              ports: [{name: http, port: 8080, appProtocol: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: ledger, namespace: shop}
            spec:
              selector: {app: ledger}
              ports: [{name: grpc, port: 9090, appProtocol: grpc}]
            """;

    private static final String PAY_RETRY = """
            apiVersion: meshwork.io/v1alpha1
            kind: MeshRetry
            metadata: {name: pay, namespace: shop}
            spec:
              targetRef: {kind: Service, name: pay}
              attempts: 3
              retryOn: [5xx, reset, connect-failure, retriable-status-codes]
              retriableStatusCodes: [409]
              perTryTimeout: 500ms
              backoff: {baseInterval: 25ms, maxInterval: 250ms}
              budget: {percent: 20, minRetriesPerSecond: 10}
            """;

    private static final String PAY_TIMEOUT = """
            apiVersion: meshwork.io/v1alpha1
            kind: MeshTimeout
            metadata: {name: pay, namespace: shop}
            spec:
              targetRef: {kind: Service, name: pay}
              request: 2s
              idle: 30s
              connect: 250ms
            """;

    /** A MeshCircuitBreaker shop/pay aimed at pay's port 8080, with {@code spec}'s fields. */
    private static String circuitBreaker(String spec) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: MeshCircuitBreaker
                metadata: {name: pay, namespace: shop}
                spec:
                  targetRef: {kind: Service, name: pay, port: 8080}
                """ + spec.indent(2);
    }

    private static MeshSnapshot load(String... files) {
        Map<String, String> byName = new HashMap<>();
        for (int i = 0; i < files.length; i++) {
            byName.put("f" + i + ".yaml", files[i]);
        }
        LoadResult result = new LocalConfigLoader().load(byName);
        assertThat(result.problems()).as("problems loading the test YAML").isEmpty();
        return result.snapshot();
    }

    private static RouteAction routeTo(ProxyResources resources, String virtualHost) {
        RouteConfiguration outbound = resources.routes().get(0);
        VirtualHost host = outbound.getVirtualHostsList().stream().filter(v -> v.getName().equals(virtualHost))
                .findFirst().orElseThrow();
        return host.getRoutesList().get(host.getRoutesCount() - 1).getRoute();
    }

    private static Cluster cluster(ProxyResources resources, String name) {
        return resources.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aMeshRetryBecomesTheRoutesRetryPolicyAndTheClustersRetryBudget() {
        ProxyResources resources = Translator.translate(load(SERVICES, PAY_RETRY), CLIENT);

        RetryPolicy retry = routeTo(resources, "pay.shop.svc.cluster.local:8080").getRetryPolicy();
        assertThat(retry.getRetryOn()).isEqualTo("5xx,reset,connect-failure,retriable-status-codes");
        assertThat(retry.getNumRetries().getValue()).isEqualTo(3);
        assertThat(retry.getRetriableStatusCodesList()).containsExactly(409);
        assertThat(retry.getPerTryTimeout()).isEqualTo(Durations.fromMillis(500));
        assertThat(retry.getRetryBackOff().getBaseInterval()).isEqualTo(Durations.fromMillis(25));
        assertThat(retry.getRetryBackOff().getMaxInterval()).isEqualTo(Durations.fromMillis(250));
        assertThat(retry.getRetryHostPredicateList()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("envoy.retry_host_predicates.previous_hosts");
            assertThat(p.getTypedConfig().is(PreviousHostsPredicate.class)).isTrue();
        });
        assertThat(retry.getHostSelectionRetryMaxAttempts()).isEqualTo(5);

        CircuitBreakers.Thresholds thresholds = cluster(resources, PAY_CLUSTER).getCircuitBreakers().getThresholds(0);
        assertThat(thresholds.getPriority()).isEqualTo(RoutingPriority.DEFAULT);
        assertThat(thresholds.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(20.0);
        assertThat(thresholds.getRetryBudget().getMinRetryConcurrency().getValue()).isEqualTo(10);
        assertThat(cluster(resources, LEDGER_CLUSTER).hasCircuitBreakers()).isFalse();
        assertThat(routeTo(resources, "ledger.shop.svc.cluster.local:9090").hasRetryPolicy()).isFalse();
    }

    @Test
    void aMeshCircuitBreakersLimitsJoinTheRetryBudgetInTheClustersOneDefaultThresholds() {
        String breaker = circuitBreaker("""
                maxConnections: 10
                maxPendingRequests: 0
                maxRequests: 20
                """);
        ProxyResources resources = Translator.translate(load(SERVICES, PAY_RETRY, breaker), CLIENT);

        CircuitBreakers breakers = cluster(resources, PAY_CLUSTER).getCircuitBreakers();
        assertThat(breakers.getThresholdsList()).singleElement().satisfies(t -> {
            assertThat(t.getPriority()).isEqualTo(RoutingPriority.DEFAULT);
            assertThat(t.getMaxConnections().getValue()).isEqualTo(10);
            assertThat(t.hasMaxPendingRequests()).isTrue();
            assertThat(t.getMaxPendingRequests().getValue()).isZero();
            assertThat(t.getMaxRequests().getValue()).isEqualTo(20);
            assertThat(t.hasMaxRetries()).as("not set: Envoy's default, here the budget's").isFalse();
            assertThat(t.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(20.0);
        });
        Cluster alone = cluster(Translator.translate(load(SERVICES, breaker), CLIENT), PAY_CLUSTER);
        assertThat(alone.getCircuitBreakers().getThresholds(0).hasRetryBudget()).isFalse();
        assertThat(alone.getCircuitBreakers().getThresholds(0).getMaxRequests().getValue()).isEqualTo(20);
        assertThat(cluster(resources, LEDGER_CLUSTER).hasCircuitBreakers()).isFalse();
        // grpc-java enforces max_requests only on clusters that report load: a proxyless client's names the server.
        assertThat(cluster(resources, PAY_CLUSTER).hasLrsServer()).isFalse();
        ProxyResources proxyless = Translator.translate(load(SERVICES, breaker), ProxyNode.proxyless("shop"));
        assertThat(cluster(proxyless, PAY_CLUSTER).getLrsServer().hasSelf()).isTrue();
        assertThat(cluster(proxyless, PAY_CLUSTER).getCircuitBreakers()).isEqualTo(alone.getCircuitBreakers());
        assertThat(cluster(proxyless, LEDGER_CLUSTER).hasLrsServer()).isFalse();
    }

    @Test
    void outlierDetectionBecomesTheClustersOutlierDetectionEnforcingOnlyWhatThePolicySets() {
        String breaker = circuitBreaker(
                "outlierDetection: {consecutive5xx: 3, interval: 1s, baseEjectionTime: 2s, maxEjectionPercent: 50}\n");
        Cluster pay = cluster(Translator.translate(load(SERVICES, breaker), CLIENT), PAY_CLUSTER);

        var detection = pay.getOutlierDetection();
        assertThat(detection.getConsecutive5Xx().getValue()).isEqualTo(3);
        assertThat(detection.getEnforcingConsecutive5Xx().getValue()).isEqualTo(100);
        assertThat(detection.hasConsecutiveGatewayFailure()).isFalse();
        assertThat(detection.getEnforcingConsecutiveGatewayFailure().getValue()).isZero();
        assertThat(detection.getEnforcingSuccessRate().getValue()).as("no success-rate ejection").isZero();
        assertThat(detection.getInterval()).isEqualTo(Durations.fromSeconds(1));
        assertThat(detection.getBaseEjectionTime()).isEqualTo(Durations.fromSeconds(2));
        assertThat(detection.getMaxEjectionPercent().getValue()).isEqualTo(50);
        assertThat(pay.hasCircuitBreakers()).as("no limit set, none written").isFalse();
    }

    @Test
    void successRateEjectionBecomesEnvoysSuccessRateFieldsEnforced() {
        String breaker = circuitBreaker("outlierDetection: {interval: 1s, successRate: {minimumHosts: 3, "
                + "requestVolume: 20, standardDeviationFactor: 1.5}}\n");
        var detection = cluster(Translator.translate(load(SERVICES, breaker), CLIENT), PAY_CLUSTER).getOutlierDetection();

        assertThat(detection.getEnforcingSuccessRate().getValue()).isEqualTo(100);
        assertThat(detection.getSuccessRateMinimumHosts().getValue()).isEqualTo(3);
        assertThat(detection.getSuccessRateRequestVolume().getValue()).isEqualTo(20);
        assertThat(detection.getSuccessRateStdevFactor().getValue()).isEqualTo(1500);
        assertThat(detection.getEnforcingConsecutive5Xx().getValue()).as("no count set, none enforced").isZero();
        assertThat(detection.getEnforcingConsecutiveGatewayFailure().getValue()).isZero();
    }

    @Test
    void aMeshTimeoutSetsTheRouteTimeoutIdleTimeoutAndConnectTimeout() {
        ProxyResources resources = Translator.translate(load(SERVICES, PAY_TIMEOUT), CLIENT);

        RouteAction pay = routeTo(resources, "pay.shop.svc.cluster.local:8080");
        assertThat(pay.getTimeout()).isEqualTo(Durations.fromSeconds(2));
        assertThat(pay.getIdleTimeout()).isEqualTo(Durations.fromSeconds(30));
        assertThat(pay.hasRetryPolicy()).isFalse();
        assertThat(cluster(resources, PAY_CLUSTER).getConnectTimeout()).isEqualTo(Durations.fromMillis(250));
        assertThat(cluster(resources, LEDGER_CLUSTER).getConnectTimeout()).isEqualTo(Durations.fromSeconds(1));
    }

    @Test
    void onAGrpcPortTheRequestTimeoutIsAlsoTheMaxStreamDurationAndTheGrpcTimeoutHeaderMax() {
        String ledgerTimeout = PAY_TIMEOUT.replace("name: pay}", "name: ledger}").replace("{name: pay,", "{name: ledger,");
        RouteAction ledger = routeTo(Translator.translate(load(SERVICES, ledgerTimeout), CLIENT),
                "ledger.shop.svc.cluster.local:9090");

        assertThat(ledger.getTimeout()).isEqualTo(Durations.fromSeconds(2));
        assertThat(ledger.getMaxStreamDuration().getMaxStreamDuration()).isEqualTo(Durations.fromSeconds(2));
        assertThat(ledger.getMaxStreamDuration().getGrpcTimeoutHeaderMax()).as("a call's grpc-timeout, up to 2 s")
                .isEqualTo(Durations.fromSeconds(2));
        assertThat(routeTo(Translator.translate(load(SERVICES, PAY_TIMEOUT), CLIENT), "pay.shop.svc.cluster.local:8080")
                .hasMaxStreamDuration()).as("an http port").isFalse();
    }

    @Test
    void aPerTryTimeoutWithoutRetriesCutsTheOneTry() {
        String perTryOnly = PAY_TIMEOUT.replace("  request: 2s\n", "  perTry: 300ms\n");
        RouteAction pay = routeTo(Translator.translate(load(SERVICES, perTryOnly), CLIENT),
                "pay.shop.svc.cluster.local:8080");

        assertThat(pay.getTimeout()).isEqualTo(Durations.fromMillis(300));
        assertThat(pay.hasRetryPolicy()).isFalse();
    }

    @Test
    void routesOfATrafficSplitGetThePoliciesOfTheServiceTheClientCalled() {
        String split = """
                apiVersion: v1
                kind: Service
                metadata: {name: pay-v2, namespace: shop}
                spec:
                  selector: {app: pay, version: v2}
                  ports: [{name: http, port: 8080, appProtocol: http}]
                ---
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: pay, namespace: shop}
                spec:
                  service: pay
                  backends: [{service: pay, weight: 90}, {service: pay-v2, weight: 10}]
                """;
        ProxyResources resources = Translator.translate(load(SERVICES, split, PAY_RETRY), CLIENT);

        RouteAction pay = routeTo(resources, "pay.shop.svc.cluster.local:8080");
        assertThat(pay.hasWeightedClusters()).isTrue();
        assertThat(pay.getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
        assertThat(SnapshotValidator.validate(resources)).isEmpty();
    }

    @Test
    void proxylessClientsGetTheSameRetryPolicy() {
        ProxyResources resources = Translator.translate(load(SERVICES, PAY_RETRY), ProxyNode.proxyless("shop"));

        RouteConfiguration pay = resources.routes().stream()
                .filter(r -> r.getName().equals("pay.shop.svc.cluster.local:8080")).findFirst().orElseThrow();
        Route route = pay.getVirtualHosts(0).getRoutes(0);
        assertThat(route.getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
    }

    @Test
    void withoutPoliciesTheOutputIsExactlyAsWithoutTheKinds() {
        MeshSnapshot plain = load(SERVICES);
        // A policy for a port pay does not have: accepted with a warning, and it changes nothing.
        MeshSnapshot withUnrelatedPolicy = new LocalConfigLoader().load(Map.of("a.yaml", SERVICES,
                "b.yaml", PAY_RETRY.replace("name: pay}", "name: pay, port: 7777}"))).snapshot();
        assertThat(withUnrelatedPolicy.policies().retries()).hasSize(1);

        assertThat(List.of(Translator.translate(withUnrelatedPolicy, CLIENT).routes(),
                Translator.translate(withUnrelatedPolicy, CLIENT).clusters()))
                .isEqualTo(List.of(Translator.translate(plain, CLIENT).routes(), Translator.translate(plain, CLIENT).clusters()));
    }

    private static String policy(String kind, String targetRef, String spec) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: %s
                metadata: {name: pay, namespace: shop}
                spec:
                  targetRef: %s
                """.formatted(kind, targetRef) + spec.indent(2);
    }

    private static VirtualHost virtualHost(ProxyResources resources, String name) {
        return resources.routes().stream().flatMap(r -> r.getVirtualHostsList().stream())
                .filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    private static HttpConnectionManager manager(io.envoyproxy.envoy.config.listener.v3.Listener listener) {
        try {
            if (listener.hasApiListener()) {
                return listener.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
            }
            var chain = listener.getFilterChainsList().get(listener.getFilterChainsCount() - 1);
            return chain.getFilters(chain.getFiltersCount() - 1).getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aMeshFaultInjectionBecomesTheFaultFilterAndEachRoutesHttpFault() throws Exception {
        String fault = policy("MeshFaultInjection", "{kind: Service, name: pay}", """
                match: {headers: {X-Fault: "on"}}
                abort: {httpStatus: 503, percentage: 50}
                delay: {fixedDelay: 200ms, percentage: 12.5}
                """);
        ProxyResources resources = Translator.translate(load(SERVICES, fault), CLIENT);

        HttpConnectionManager outbound = manager(resources.listeners().stream()
                .filter(l -> l.getName().equals("outbound")).findFirst().orElseThrow());
        assertThat(outbound.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
        assertThat(outbound.getHttpFilters(0).getTypedConfig().unpack(HTTPFault.class))
                .isEqualTo(HTTPFault.getDefaultInstance());
        VirtualHost pay = virtualHost(resources, "pay.shop.svc.cluster.local:8080");
        HTTPFault config = pay.getRoutes(0).getTypedPerFilterConfigOrThrow("envoy.filters.http.fault")
                .unpack(HTTPFault.class);
        assertThat(config.getAbort().getHttpStatus()).isEqualTo(503);
        assertThat(config.getAbort().getPercentage()).isEqualTo(FractionalPercent.newBuilder().setNumerator(50)
                .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build());
        assertThat(config.getDelay().getFixedDelay()).isEqualTo(Durations.fromMillis(200));
        assertThat(config.getDelay().getPercentage()).isEqualTo(FractionalPercent.newBuilder().setNumerator(125_000)
                .setDenominator(FractionalPercent.DenominatorType.MILLION).build());
        assertThat(config.getHeadersList()).singleElement().satisfies(h -> {
            assertThat(h.getName()).isEqualTo("x-fault");
            assertThat(h.getStringMatch().getExact()).isEqualTo("on");
        });
        assertThat(virtualHost(resources, "ledger.shop.svc.cluster.local:9090").getRoutes(0)
                .getTypedPerFilterConfigMap()).isEmpty();
        // Without the policy, no fault filter at all.
        assertThat(manager(Translator.translate(load(SERVICES), CLIENT).listeners().get(0)).getHttpFiltersList())
                .extracting(HttpFilter::getName).containsExactly("envoy.filters.http.router");
    }

    @Test
    void aProxylessClientGetsTheFaultFilterAndAHeaderMatchedFaultAsARouteOfItsOwn() throws Exception {
        String fault = policy("MeshFaultInjection", "{kind: Service, name: ledger}", """
                match: {headers: {x-fault: "on"}}
                abort: {grpcStatus: 14, percentage: 100}
                """);
        ProxyResources resources = Translator.translate(load(SERVICES, fault), ProxyNode.proxyless("shop"));

        assertThat(resources.listeners()).allSatisfy(l -> assertThat(manager(l).getHttpFiltersList())
                .extracting(HttpFilter::getName).containsExactly("envoy.filters.http.fault", "envoy.filters.http.router"));
        // grpc-java ignores HTTPFault.headers: the faulted calls take a route that matches the header.
        VirtualHost ledger = virtualHost(resources, "ledger.shop.svc.cluster.local:9090");
        assertThat(ledger.getRoutesCount()).isEqualTo(2);
        Route faulted = ledger.getRoutes(0);
        assertThat(faulted.getMatch().getHeadersList()).singleElement()
                .satisfies(h -> assertThat(h.getStringMatch().getExact()).isEqualTo("on"));
        HTTPFault config = faulted.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class);
        assertThat(config.getAbort().getGrpcStatus()).isEqualTo(14);
        assertThat(config.getHeadersList()).isEmpty();
        assertThat(ledger.getRoutes(1).getTypedPerFilterConfigMap()).isEmpty();
        assertThat(ledger.getRoutes(1).getRoute()).isEqualTo(faulted.getRoute());
    }

    @Test
    void aMeshRateLimitBecomesTheLocalRateLimitFilterOfItsWorkloadsInboundPort() throws Exception {
        String workload = """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata: {name: pay-0, namespace: shop, labels: {app: pay}}
                spec:
                  address: 10.0.0.7
                  serviceAccount: pay
                  ports: {http: 8080}
                  appPorts: {http: 18080}
                """;
        String limit = policy("MeshRateLimit", "{kind: Service, name: pay}", "requestsPerSecond: 100\nburst: 20\n");
        ProxyResources resources = Translator.translate(load(SERVICES, workload, limit),
                ProxyNode.sidecar(ObjectRef.of("shop", "pay-0"), "pay"));

        HttpConnectionManager inbound = manager(resources.listeners().stream()
                .filter(l -> l.getName().equals("inbound|8080")).findFirst().orElseThrow());
        assertThat(inbound.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.local_ratelimit", "envoy.filters.http.router");
        LocalRateLimit config = inbound.getHttpFilters(0).getTypedConfig().unpack(LocalRateLimit.class);
        assertThat(config.getStatPrefix()).isEqualTo("http_local_rate_limiter");
        assertThat(config.getTokenBucket().getMaxTokens()).isEqualTo(20);
        assertThat(config.getTokenBucket().getTokensPerFill().getValue()).isEqualTo(20);
        assertThat(config.getTokenBucket().getFillInterval()).isEqualTo(Durations.fromMillis(200));
        FractionalPercent all = FractionalPercent.newBuilder().setNumerator(100)
                .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
        assertThat(config.getFilterEnabled().getDefaultValue()).isEqualTo(all);
        assertThat(config.getFilterEnforced().getDefaultValue()).isEqualTo(all);
        assertThat(config.getResponseHeadersToAddList()).singleElement().satisfies(h -> {
            assertThat(h.getHeader().getKey()).isEqualTo("x-envoy-ratelimited");
            assertThat(h.getHeader().getValue()).isEqualTo("true");
        });
        // A client's outbound is not limited: the limit is the target's, at its inbound.
        assertThat(manager(Translator.translate(load(SERVICES, workload, limit), CLIENT).listeners().get(0))
                .getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly("envoy.filters.http.router");
    }

    @Test
    void aMeshMirrorBecomesARequestMirrorPolicyOnEveryRouteToItsTarget() {
        String audit = """
                apiVersion: v1
                kind: Service
                metadata: {name: audit, namespace: shop}
                spec:
                  selector: {app: audit}
                  ports: [{name: http, port: 8080, appProtocol: http}]
                """;
        String mirror = policy("MeshMirror", "{kind: Service, name: pay}", "backend: {name: audit}\npercentage: 12.5\n");
        ProxyResources resources = Translator.translate(load(SERVICES, audit, mirror), CLIENT);

        RouteAction action = routeTo(resources, "pay.shop.svc.cluster.local:8080");
        assertThat(action.getRequestMirrorPoliciesList()).singleElement().satisfies(m -> {
            assertThat(m.getCluster()).isEqualTo("outbound|8080||audit.shop.svc.cluster.local");
            assertThat(m.getRuntimeFraction().getDefaultValue()).isEqualTo(FractionalPercent.newBuilder()
                    .setNumerator(125_000).setDenominator(FractionalPercent.DenominatorType.MILLION).build());
        });
        assertThat(routeTo(resources, "audit.shop.svc.cluster.local:8080").getRequestMirrorPoliciesList()).isEmpty();
        // All calls: no runtime_fraction. A backend without the port mirrors nothing (and mesh analyze says so).
        assertThat(routeTo(Translator.translate(load(SERVICES, audit, mirror.replace("percentage: 12.5\n", "")), CLIENT),
                "pay.shop.svc.cluster.local:8080").getRequestMirrorPolicies(0).hasRuntimeFraction()).isFalse();
        assertThat(routeTo(Translator.translate(load(SERVICES, audit.replace("port: 8080", "port: 8081"), mirror),
                CLIENT), "pay.shop.svc.cluster.local:8080").getRequestMirrorPoliciesList()).isEmpty();
    }
}
