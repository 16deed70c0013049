package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.meshwork.proxy.cluster.RetryLimit;
import io.meshwork.proxy.cluster.Thresholds;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A cluster's circuit_breakers as the sidecar reads them: DEFAULT priority, Envoy's defaults, NACKs naming the field. */
class CircuitBreakerSettingsTest {

    private final Cluster cluster = new MeshResources("default")
            .service("pay", 8080, "http", List.of(Backend.of(9101, "pay-v1", "v1")))
            .clusters().values().iterator().next();

    private Cluster with(CircuitBreakers.Builder breakers) {
        return cluster.toBuilder().setCircuitBreakers(breakers).build();
    }

    @Test
    void theFirstDefaultPriorityThresholdsAreTheLimitsWithEnvoysDefaultsForWhatTheyLeaveOut() throws Exception {
        assertThat(ResourceConverter.cluster(cluster).thresholds()).isEqualTo(Thresholds.ENVOY_DEFAULT);

        Cluster limited = with(CircuitBreakers.newBuilder()
                .addThresholds(CircuitBreakers.Thresholds.newBuilder().setPriority(RoutingPriority.HIGH)
                        .setMaxRequests(UInt32Value.of(1)))
                .addThresholds(CircuitBreakers.Thresholds.newBuilder().setMaxConnections(UInt32Value.of(10))
                        .setMaxPendingRequests(UInt32Value.of(0)).setMaxRequests(UInt32Value.of(20))
                        .setMaxRetries(UInt32Value.of(-1)))
                .addThresholds(CircuitBreakers.Thresholds.newBuilder().setMaxRequests(UInt32Value.of(30))));

        assertThat(ResourceConverter.cluster(limited).thresholds()).isEqualTo(new Thresholds(10, 0, 20,
                new RetryLimit(Double.NaN, 0, Integer.MAX_VALUE)));
        Cluster onlyRequests = with(CircuitBreakers.newBuilder().addThresholds(CircuitBreakers.Thresholds.newBuilder()
                .setMaxRequests(UInt32Value.of(5))));
        assertThat(ResourceConverter.cluster(onlyRequests).thresholds()).isEqualTo(new Thresholds(1024, 1024, 5,
                RetryLimit.ENVOY_DEFAULT));
    }

    @Test
    void whatTheSidecarCannotDoIsNackedNamingTheField() {
        String where = "Cluster \"" + cluster.getName() + "\": field circuit_breakers.";
        assertThatThrownBy(() -> ResourceConverter.cluster(with(CircuitBreakers.newBuilder().addThresholds(
                CircuitBreakers.Thresholds.newBuilder().setTrackRemaining(true)))))
                .hasMessage(where + "thresholds[0]: track_remaining and max_connection_pools are not supported");
        assertThatThrownBy(() -> ResourceConverter.cluster(with(CircuitBreakers.newBuilder().addPerHostThresholds(
                CircuitBreakers.Thresholds.newBuilder().setMaxConnections(UInt32Value.of(1))))))
                .hasMessage(where + "per_host_thresholds is not supported");
    }
}
