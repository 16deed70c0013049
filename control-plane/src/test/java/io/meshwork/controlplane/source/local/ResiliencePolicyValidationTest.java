package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.MeshCircuitBreaker;
import io.meshwork.controlplane.model.MeshFaultInjection;
import io.meshwork.controlplane.model.MeshRetry;
import io.meshwork.controlplane.model.MeshTimeout;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PolicyTarget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MeshTimeout, MeshRetry and MeshCircuitBreaker (meshwork.io/v1alpha1) in local mode: what is read, what is refused, what is warned. */
class ResiliencePolicyValidationTest {

    private static final ObjectRef PAY = ObjectRef.of("shop", "pay");

    private static LoadResult load(String... documents) {
        return new LocalConfigLoader().load(Map.of("policies.yaml", docs(documents)));
    }

    private static String payService() {
        return service("pay", "pay", null, 8080).replace("  name: pay\n", "  name: pay\n  namespace: shop\n");
    }

    /** A policy of {@code kind} named shop/pay, aimed at {@code targetRef}, with {@code spec}'s fields. */
    private static String policy(String kind, String targetRef, String spec) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: %s
                metadata: {name: pay, namespace: shop}
                spec:
                  targetRef: %s
                """.formatted(kind, targetRef) + spec.indent(2);
    }

    private static String retry(String spec) {
        return policy("MeshRetry", "{kind: Service, name: pay}", spec);
    }

    private static String timeout(String spec) {
        return policy("MeshTimeout", "{kind: Service, name: pay, port: 8080}", spec);
    }

    private static String circuitBreaker(String spec) {
        return policy("MeshCircuitBreaker", "{kind: Service, name: pay, port: 8080}", spec);
    }

    @Test
    void aMeshCircuitBreakerIsReadWithEveryLimitAndLeavesOutWhatItDoesNotSet() {
        LoadResult result = load(payService(), circuitBreaker("""
                maxConnections: 100
                maxPendingRequests: 0
                maxRequests: 200
                maxRetries: 3
                """), circuitBreaker("maxRequests: 5\n").replace("name: pay, namespace", "name: few, namespace"));

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().policies().circuitBreakers()).containsEntry(PAY, new MeshCircuitBreaker(PAY,
                new PolicyTarget(PAY, 8080), 100, 0, 200, 3, null));
        assertThat(result.snapshot().policies().circuitBreakers().get(ObjectRef.of("shop", "few")))
                .isEqualTo(new MeshCircuitBreaker(ObjectRef.of("shop", "few"), new PolicyTarget(PAY, 8080), null, null,
                        5, null, null));
    }

    @Test
    void aMeshCircuitBreakerWithoutALimitOrWithAnImpossibleOneIsRefusedNamingTheField() {
        assertThat(load(payService(), circuitBreaker("")).errors()).singleElement().asString()
                .isEqualTo("policies.yaml doc 2 (line 17): MeshCircuitBreaker shop/pay: spec.maxConnections: a "
                        + "MeshCircuitBreaker sets at least one of maxConnections, maxPendingRequests, maxRequests, "
                        + "maxRetries, outlierDetection");
        assertThat(load(circuitBreaker("maxRequests: 0\n")).errors()).singleElement().asString()
                .contains("MeshCircuitBreaker shop/pay: spec.maxRequests: 0 is less than 1");
        assertThat(load(circuitBreaker("maxRetries: -1\n")).errors()).singleElement().asString()
                .contains("spec.maxRetries: -1 is less than 0");
        assertThat(load(circuitBreaker("maxConnections: lots\n")).errors()).singleElement().asString()
                .contains("spec.maxConnections: must be an integer, not \"lots\"");
        assertThat(load(circuitBreaker("maxRequests: 10\noutlierDetektion: {}\n")).problems()).anySatisfy(p ->
                assertThat(p.toString()).contains("spec.outlierDetektion: unknown field, ignored"));
    }

    @Test
    void outlierDetectionIsReadWithIstiosDefaultsAndImpossibleValuesAreRefused() {
        MeshCircuitBreaker.OutlierDetection read = load(payService(), circuitBreaker("""
                outlierDetection: {consecutive5xx: 3, interval: 1s, baseEjectionTime: 2s, maxEjectionPercent: 50}
                """)).snapshot().policies().circuitBreakers().get(PAY).outlierDetection();
        assertThat(read).isEqualTo(new MeshCircuitBreaker.OutlierDetection(3, null, Duration.ofSeconds(1),
                Duration.ofSeconds(2), 50));
        assertThat(load(payService(), circuitBreaker("outlierDetection: {consecutiveGatewayErrors: 2}\n")).snapshot()
                .policies().circuitBreakers().get(PAY).outlierDetection()).isEqualTo(new MeshCircuitBreaker
                .OutlierDetection(null, 2, Duration.ofSeconds(10), Duration.ofSeconds(30), 10));

        assertThat(load(circuitBreaker("outlierDetection: {interval: 1s}\n")).errors()).singleElement().asString()
                .contains("spec.outlierDetection.consecutive5xx: outlierDetection needs consecutive5xx, "
                        + "consecutiveGatewayErrors or successRate");
        assertThat(load(circuitBreaker("outlierDetection: {consecutive5xx: 5, maxEjectionPercent: 120}\n")).errors())
                .singleElement().asString().contains("spec.outlierDetection.maxEjectionPercent: 120 is not a "
                        + "percentage (0-100)");
        assertThat(load(circuitBreaker("outlierDetection: {consecutive5xx: 5, baseEjectionTime: 0s}\n")).errors())
                .singleElement().asString().contains("spec.outlierDetection.baseEjectionTime: must be more than 0");
    }

    @Test
    void successRateEjectionIsReadWithKumasNamesAndEnvoysDefaults() {
        assertThat(load(payService(), circuitBreaker("""
                outlierDetection:
                  successRate: {minimumHosts: 3, requestVolume: 20, standardDeviationFactor: 1.5}
                """)).snapshot().policies().circuitBreakers().get(PAY).outlierDetection())
                .isEqualTo(new MeshCircuitBreaker.OutlierDetection(null, null, Duration.ofSeconds(10),
                        Duration.ofSeconds(30), 10, new MeshCircuitBreaker.SuccessRate(3, 20, 1500)));
        assertThat(load(payService(), circuitBreaker("outlierDetection: {consecutive5xx: 5, successRate: {}}\n"))
                .snapshot().policies().circuitBreakers().get(PAY).outlierDetection().successRate())
                .isEqualTo(new MeshCircuitBreaker.SuccessRate(5, 100, 1900));

        assertThat(load(circuitBreaker("outlierDetection: {successRate: {standardDeviationFactor: 1.0001}}\n")).errors())
                .singleElement().asString().contains("spec.outlierDetection.successRate.standardDeviationFactor: "
                        + "1.0001 is not a positive number with at most three decimals");
        assertThat(load(circuitBreaker("outlierDetection: {successRate: {standardDeviationFactor: high}}\n")).errors())
                .singleElement().asString().contains("spec.outlierDetection.successRate.standardDeviationFactor: must "
                        + "be a number, not \"high\"");
        assertThat(load(circuitBreaker("outlierDetection: {successRate: {minimumHosts: 0}}\n")).errors())
                .singleElement().asString().contains("spec.outlierDetection.successRate.minimumHosts: 0 is less than 1");
    }

    @Test
    void aMeshRetryIsReadWithEveryField() {
        LoadResult result = load(payService(), retry("""
                attempts: 3
                retryOn: [5xx, reset, retriable-status-codes, unavailable]
                retriableStatusCodes: [409]
                perTryTimeout: 500ms
                backoff: {baseInterval: 25ms, maxInterval: 1.5s}
                budget: {percent: 20, minRetriesPerSecond: 10}
                """));

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().policies().retries()).containsExactly(Map.entry(PAY, new MeshRetry(PAY,
                new PolicyTarget(PAY, null), 3, List.of("5xx", "reset", "retriable-status-codes", "unavailable"),
                List.of(409), Duration.ofMillis(500),
                new MeshRetry.Backoff(Duration.ofMillis(25), Duration.ofMillis(1500)), new MeshRetry.Budget(20, 10))));
    }

    @Test
    void aMeshRetryWithoutFieldsTakesIstiosDefaults() {
        MeshRetry retry = load(payService(), retry("")).snapshot().policies().retries().get(PAY);

        assertThat(retry.attempts()).isEqualTo(2);
        assertThat(retry.retryOn()).containsExactly("connect-failure", "cancelled", "unavailable");
        assertThat(retry.backoff()).isEqualTo(MeshRetry.Backoff.DEFAULT);
        assertThat(retry.perTryTimeout()).isNull();
        assertThat(retry.budget()).isNull();
    }

    @Test
    void aMeshTimeoutIsReadWithItsPort() {
        LoadResult result = load(payService(), timeout("""
                request: 2s
                perTry: 250ms
                idle: 1m30s
                connect: 100ms
                """));

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().policies().timeouts().get(PAY)).isEqualTo(new MeshTimeout(PAY,
                new PolicyTarget(PAY, 8080), Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofSeconds(90),
                Duration.ofMillis(100)));
        assertThat(result.snapshot().policies().timeoutFor(PAY, 8080)).isPresent();
        assertThat(result.snapshot().policies().timeoutFor(PAY, 9090)).isEmpty();
    }

    @Test
    void aBadDurationIsRefusedNamingFileDocumentAndField() {
        LoadResult result = load(payService(), timeout("request: 2 seconds\n"));

        assertThat(result.errors()).singleElement().asString().isEqualTo("policies.yaml doc 2 (line 18): MeshTimeout "
                + "shop/pay: spec.request: \"2 seconds\" is not a duration (a number with a unit ms, s, m or h: 250ms, "
                + "2s, 1m30s)");
        assertThat(result.snapshot().policies().timeouts()).isEmpty();
    }

    @Test
    void anUnknownRetryConditionIsRefusedNamingTheChoices() {
        assertThat(load(retry("retryOn: [5xx, 503]\n")).errors()).singleElement().asString()
                .contains("MeshRetry shop/pay: spec.retryOn: \"503\" (item 1) is not a retry condition (5xx, "
                        + "gateway-error, reset, connect-failure, retriable-status-codes, cancelled, unavailable, "
                        + "resource-exhausted, deadline-exceeded)");
    }

    @Test
    void inconsistentOrOutOfRangeFieldsAreRefused() {
        assertThat(load(retry("retryOn: [retriable-status-codes]\n")).errors()).singleElement().asString()
                .contains("spec.retriableStatusCodes: is required with retryOn retriable-status-codes");
        assertThat(load(retry("retriableStatusCodes: [503]\n")).errors()).singleElement().asString()
                .contains("spec.retriableStatusCodes: is set, but retryOn does not name retriable-status-codes");
        assertThat(load(retry("attempts: 0\n")).errors()).singleElement().asString()
                .contains("spec.attempts: 0 is not in 1..10");
        assertThat(load(retry("budget: {percent: 150}\n")).errors()).singleElement().asString()
                .contains("spec.budget.percent: \"150\" is not a percentage in (0, 100]");
        assertThat(load(retry("backoff: {baseInterval: 1s, maxInterval: 100ms}\n")).errors()).singleElement()
                .asString().contains("spec.backoff.maxInterval: is shorter than baseInterval (1000 ms)");
        assertThat(load(retry("perTryTimeout: 0s\n")).errors()).singleElement().asString()
                .contains("spec.perTryTimeout: must be more than 0");
        assertThat(load(timeout("")).errors()).singleElement().asString()
                .contains("spec.request: a MeshTimeout sets at least one of request, perTry, idle, connect");
        assertThat(load(timeout("request: 1s\nperTry: 2s\n")).errors()).singleElement().asString()
                .contains("spec.perTry: is longer than request (1000 ms)");
    }

    @Test
    void aTargetThatIsNotAServiceIsRefused() {
        assertThat(load(retry("").replace("kind: Service, name: pay", "kind: Deployment, name: pay")).errors())
                .singleElement().asString()
                .contains("spec.targetRef.kind: \"Deployment\" is not a kind a policy can target (Service)");
    }

    @Test
    void aPolicyNamingAMissingServiceOrPortIsAcceptedWithAWarning() {
        LoadResult missing = load(retry(""));
        assertThat(missing.errors()).isEmpty();
        assertThat(missing.problems()).singleElement().asString().isEqualTo("policies.yaml doc 1 (line 5): MeshRetry "
                + "shop/pay: spec.targetRef.name: \"pay\" is not a Service in namespace shop: this MeshRetry applies to "
                + "nothing");

        assertThat(load(circuitBreaker("maxRequests: 1\n")).problems()).singleElement().asString()
                .contains("MeshCircuitBreaker shop/pay: spec.targetRef.name: \"pay\" is not a Service in namespace shop");

        LoadResult wrongPort = load(payService(), timeout("request: 1s\n").replace("port: 8080", "port: 9999"));
        assertThat(wrongPort.problems()).singleElement().asString()
                .contains("spec.targetRef.port: Service pay has no port 9999: this MeshTimeout applies to nothing");
    }

    @Test
    void aBrokenEditKeepsTheLastAcceptedPolicy() {
        LocalConfigLoader loader = new LocalConfigLoader();
        Map<String, String> files = files("svc.yaml", payService(), "retry.yaml", retry("attempts: 3\n"));
        loader.load(files);
        files.put("retry.yaml", retry("attempts: many\n"));

        LoadResult result = loader.load(files);

        assertThat(result.errors()).singleElement().asString().contains("spec.attempts: must be an integer, not "
                + "\"many\"; still serving the last accepted version of MeshRetry shop/pay");
        assertThat(result.snapshot().policies().retries().get(PAY).attempts()).isEqualTo(3);
    }

    @Test
    void aPortPolicyWinsOverAWholeServicePolicy() {
        String whole = retry("attempts: 1\n").replace("name: pay, namespace", "name: all, namespace");
        String port = retry("attempts: 4\n").replace("name: pay}", "name: pay, port: 8080}");
        var policies = load(payService(), whole, port).snapshot().policies();

        assertThat(policies.retryFor(PAY, 8080).orElseThrow().attempts()).isEqualTo(4);
        assertThat(policies.retryFor(PAY, 9090).orElseThrow().attempts()).isEqualTo(1);
    }

    private static String fault(String spec) {
        return policy("MeshFaultInjection", "{kind: Service, name: pay}", spec);
    }

    @Test
    void aMeshFaultInjectionIsReadWithItsMatchAbortAndDelay() {
        LoadResult result = load(payService(), fault("""
                match: {headers: {X-Fault: "on"}}
                abort: {httpStatus: 503, percentage: 50}
                delay: {fixedDelay: 200ms, percentage: 0.5}
                """));

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().policies().faults()).containsEntry(PAY, new MeshFaultInjection(PAY,
                new PolicyTarget(PAY, null), new java.util.TreeMap<>(Map.of("x-fault", "on")),
                new MeshFaultInjection.Abort(503, null, 50), new MeshFaultInjection.Delay(Duration.ofMillis(200), 0.5)));
        assertThat(load(payService(), fault("abort: {grpcStatus: 14}\n")).snapshot().policies().faults().get(PAY)
                .abort()).isEqualTo(new MeshFaultInjection.Abort(null, 14, 100));
    }

    @Test
    void aBadMeshFaultInjectionIsRefusedNamingFileDocumentAndField() {
        assertThat(load(payService(), fault("match: {headers: {x: y}}\n")).errors()).singleElement().asString()
                .isEqualTo("policies.yaml doc 2 (line 17): MeshFaultInjection shop/pay: spec.abort: a "
                        + "MeshFaultInjection sets abort, delay or both");
        assertThat(load(fault("abort: {httpStatus: 503, percentage: 150}\n")).errors()).singleElement().asString()
                .contains("MeshFaultInjection shop/pay: spec.abort.percentage: \"150\" is not a percentage in 0..100");
        assertThat(load(fault("abort: {httpStatus: 99}\n")).errors()).singleElement().asString()
                .contains("spec.abort.httpStatus: 99 is not an HTTP status Envoy aborts with (200-599)");
        assertThat(load(fault("abort: {httpStatus: 503, grpcStatus: 14}\n")).errors()).singleElement().asString()
                .contains("spec.abort.grpcStatus: give httpStatus or grpcStatus, not both");
        assertThat(load(fault("abort: {grpcStatus: 0}\n")).errors()).singleElement().asString()
                .contains("spec.abort.grpcStatus: 0 is not a gRPC error status (1-16)");
        assertThat(load(fault("delay: {percentage: 10}\n")).errors()).singleElement().asString()
                .contains("spec.delay.fixedDelay: is required");
        assertThat(load(fault("delay: {fixedDelay: 2parsecs}\n")).errors()).singleElement().asString()
                .contains("spec.delay.fixedDelay:");
        assertThat(load(fault("match: {}\nabort: {httpStatus: 503}\n")).errors()).singleElement().asString()
                .contains("spec.match.headers: is required");
    }

    @Test
    void aMeshFaultInjectionNamingAMissingServiceIsWarned() {
        assertThat(load(fault("abort: {httpStatus: 503}\n")).problems()).singleElement().asString()
                .contains("MeshFaultInjection shop/pay: spec.targetRef.name: \"pay\" is not a Service in namespace shop");
    }

    @Test
    void aMeshRateLimitIsReadWithItsBurstOrTheDefaultAndImpossibleOnesAreRefused() {
        String limit = policy("MeshRateLimit", "{kind: Service, name: pay, port: 8080}", "requestsPerSecond: 100\nburst: 20\n");
        assertThat(load(payService(), limit).snapshot().policies().rateLimits())
                .containsEntry(PAY, new io.meshwork.controlplane.model.MeshRateLimit(PAY, new PolicyTarget(PAY, 8080), 100, 20));
        assertThat(load(payService(), limit.replace("burst: 20\n", "")).snapshot().policies().rateLimits().get(PAY)
                .burst()).as("100 ms of requests").isEqualTo(10);
        assertThat(load(payService(), limit.replace("requestsPerSecond: 100", "requestsPerSecond: 0")).errors())
                .singleElement().asString().isEqualTo("policies.yaml doc 2 (line 18): MeshRateLimit shop/pay: "
                        + "spec.requestsPerSecond: 0 is not in 1..1000000000");
        assertThat(load(payService(), limit.replace("burst: 20", "burst: 4")).errors()).singleElement().asString()
                .contains("spec.burst: 4 is less than 5 (50 ms of requestsPerSecond: Envoy refills a bucket at most "
                        + "every 50 ms)");
        assertThat(load(payService(), policy("MeshRateLimit", "{kind: Service, name: pay}", "burst: 5\n")).errors())
                .singleElement().asString().contains("spec.requestsPerSecond: is required");
    }

    @Test
    void aMeshMirrorIsReadAndItsMissingBackendIsWarned() {
        String mirror = policy("MeshMirror", "{kind: Service, name: pay}", "backend: {name: audit}\npercentage: 10\n");
        LoadResult result = load(payService(), mirror);
        assertThat(result.snapshot().policies().mirrors()).containsEntry(PAY, new io.meshwork.controlplane.model.MeshMirror(
                PAY, new PolicyTarget(PAY, null), ObjectRef.of("shop", "audit"), 10));
        assertThat(result.problems()).singleElement().asString().isEqualTo("policies.yaml doc 2 (line 18): MeshMirror "
                + "shop/pay: spec.backend.name: \"audit\" is not a Service in namespace shop: nothing is mirrored");
        assertThat(load(payService(), mirror.replace("name: audit", "name: pay")).errors()).singleElement().asString()
                .contains("spec.backend.name: \"pay\" is the target itself: its calls would mirror to it");
        assertThat(load(payService(), mirror.replace("percentage: 10", "percentage: -1")).errors()).singleElement()
                .asString().contains("spec.percentage: \"-1\" is not a percentage in 0..100");
        assertThat(load(payService(), policy("MeshMirror", "{kind: Service, name: pay}", "percentage: 10\n")).errors())
                .singleElement().asString().contains("MeshMirror shop/pay: spec.backend: is required");
    }
}
