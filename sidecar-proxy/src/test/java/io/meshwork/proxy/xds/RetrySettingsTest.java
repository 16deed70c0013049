package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.type.v3.Percent;
import io.meshwork.proxy.cluster.RetryLimit;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.retry.RetryCondition;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A route's retry_policy and a cluster's retry budget as the sidecar reads them; what it cannot do is NACKed. */
class RetrySettingsTest {

    private final MeshResources mesh = new MeshResources("default")
            .service("pay", 8080, "http", List.of(Backend.of(9101, "pay-v1", "v1")))
            .virtualHost("pay", 8080, List.of());

    private static final RetryPolicy POLICY = RetryPolicy.newBuilder()
            .setRetryOn("5xx,reset,retriable-status-codes,unavailable")
            .setNumRetries(UInt32Value.of(3))
            .addRetriableStatusCodes(409)
            .setPerTryTimeout(Durations.fromMillis(500))
            .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(Durations.fromMillis(10)))
            .addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                    .setName("envoy.retry_host_predicates.previous_hosts")
                    .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
            .setHostSelectionRetryMaxAttempts(5)
            .build();

    private Route routeWith(RetryPolicy policy) throws InvalidResourceException {
        RouteConfiguration routes = mesh.outboundRoutes();
        var host = routes.getVirtualHosts(0);
        var route = host.getRoutes(0);
        RouteConfiguration changed = routes.toBuilder().setVirtualHosts(0, host.toBuilder().setRoutes(0, route.toBuilder()
                .setRoute(route.getRoute().toBuilder().setRetryPolicy(policy)))).build();
        return ResourceConverter.routeTable(changed).virtualHosts().get(0).routes().get(0);
    }

    @Test
    void aRetryPolicyIsReadWithEnvoysDefaultsForWhatIsLeftOut() throws Exception {
        var retry = routeWith(POLICY).retryPolicy();

        assertThat(retry.numRetries()).isEqualTo(3);
        assertThat(retry.retryOn()).isEqualTo(Set.of(RetryCondition.SERVER_ERROR, RetryCondition.RESET,
                RetryCondition.RETRIABLE_STATUS_CODES, RetryCondition.UNAVAILABLE));
        assertThat(retry.retriableStatusCodes()).containsExactly(409);
        assertThat(retry.perTryTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(retry.baseInterval()).isEqualTo(Duration.ofMillis(10));
        assertThat(retry.maxInterval()).as("ten times the base, as Envoy").isEqualTo(Duration.ofMillis(100));
        assertThat(retry.otherHosts()).isTrue();
        assertThat(retry.hostSelectionAttempts()).isEqualTo(5);
    }

    @Test
    void aRouteWithoutRetryPolicyHasNone() throws Exception {
        assertThat(ResourceConverter.routeTable(mesh.outboundRoutes()).virtualHosts().get(0).routes().get(0)
                .retryPolicy()).isNull();
    }

    @Test
    void whatTheSidecarCannotDoIsNackedNamingTheField() {
        String route = "RouteConfiguration \"outbound\": field virtual_hosts[0].routes[0].route.retry_policy";
        assertThatThrownBy(() -> routeWith(POLICY.toBuilder().setRetryOn("5xx,envoy-ratelimited").build()))
                .hasMessageStartingWith(route + ".retry_on: \"envoy-ratelimited\" is not a condition the sidecar "
                        + "supports (5xx, gateway-error, reset, connect-failure");
        assertThatThrownBy(() -> routeWith(POLICY.toBuilder().addRetriableStatusCodes(99).build()))
                .hasMessage(route + ".retriable_status_codes: 99 is not an HTTP status (100-599)");
        assertThatThrownBy(() -> routeWith(POLICY.toBuilder().setPerTryTimeout(Durations.fromMillis(-5)).build()))
                .hasMessageStartingWith(route + ".per_try_timeout ");
        assertThatThrownBy(() -> routeWith(POLICY.toBuilder().setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
                .setBaseInterval(Durations.fromMillis(100)).setMaxInterval(Durations.fromMillis(10))).build()))
                .hasMessage(route + ".retry_back_off.max_interval is shorter than base_interval");
        assertThatThrownBy(() -> routeWith(POLICY.toBuilder().addRetryHostPredicate(RetryPolicy.RetryHostPredicate
                .newBuilder().setName("envoy.retry_host_predicates.omit_canary_hosts")).build()))
                .hasMessage(route + ".retry_host_predicate[1]: \"envoy.retry_host_predicates.omit_canary_hosts\" is "
                        + "not supported (envoy.retry_host_predicates.previous_hosts)");
    }

    @Test
    void aClustersRetryBudgetIsItsRetryLimitAndWithoutOneEnvoysDefaultOfThree() throws Exception {
        var cluster = mesh.clusters().values().iterator().next();
        assertThat(ResourceConverter.cluster(cluster).retryLimit()).isEqualTo(RetryLimit.ENVOY_DEFAULT);
        assertThat(RetryLimit.ENVOY_DEFAULT.allowed(1000)).isEqualTo(3);

        var budgeted = cluster.toBuilder().setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(
                CircuitBreakers.Thresholds.newBuilder().setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                        .setBudgetPercent(Percent.newBuilder().setValue(20)).setMinRetryConcurrency(UInt32Value.of(2)))))
                .build();
        RetryLimit limit = ResourceConverter.cluster(budgeted).retryLimit();
        assertThat(limit.allowed(100)).isEqualTo(20);
        assertThat(limit.allowed(4)).as("never below the minimum").isEqualTo(2);

        var wrong = budgeted.toBuilder().setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(
                CircuitBreakers.Thresholds.newBuilder().setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                        .setBudgetPercent(Percent.newBuilder().setValue(150))))).build();
        assertThatThrownBy(() -> ResourceConverter.cluster(wrong)).hasMessage("Cluster \"" + cluster.getName()
                + "\": field circuit_breakers.thresholds[0].retry_budget.budget_percent 150.0 is not in 0..100");
    }
}
