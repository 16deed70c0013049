package io.meshwork.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.meshwork.proxy.testing.MeshResources;
import io.meshwork.proxy.testing.MeshResources.Backend;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A cluster's outlier_detection as the sidecar reads it: Envoy's defaults, NACKs naming the field. */
class OutlierDetectionSettingsTest {

    private final Cluster cluster = new MeshResources("default")
            .service("pay", 8080, "http", List.of(Backend.of(9101, "pay-v1", "v1")))
            .clusters().values().iterator().next();

    private io.meshwork.proxy.cluster.OutlierDetection read(OutlierDetection.Builder detection) throws Exception {
        return ResourceConverter.cluster(cluster.toBuilder().setOutlierDetection(detection).build()).outlierDetection();
    }

    @Test
    void consecutiveErrorsAsIstioWritesThemWithEnvoysDefaultsForTheRest() throws Exception {
        assertThat(ResourceConverter.cluster(cluster).outlierDetection()).isNull();
        OutlierDetection.Builder istio = OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0))
                .setConsecutive5Xx(UInt32Value.of(3)).setInterval(Durations.fromSeconds(1))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(0));

        assertThat(read(istio)).isEqualTo(new io.meshwork.proxy.cluster.OutlierDetection(3, 0, Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofSeconds(300), 10));
        assertThat(read(istio.clone().setEnforcingConsecutive5Xx(UInt32Value.of(0))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100)).setMaxEjectionPercent(UInt32Value.of(50))))
                .isEqualTo(new io.meshwork.proxy.cluster.OutlierDetection(0, 5, Duration.ofSeconds(1),
                        Duration.ofSeconds(30), Duration.ofSeconds(300), 50));
    }

    @Test
    void successRateEjectionIsEnforcedUnlessItsPercentageIsZeroWithEnvoysDefaults() throws Exception {
        assertThat(read(OutlierDetection.newBuilder()).successRate()).as("Envoy enforces it by default")
                .isEqualTo(new io.meshwork.proxy.cluster.OutlierDetection.SuccessRate(5, 100, 1900));
        assertThat(read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(100))
                .setEnforcingConsecutive5Xx(UInt32Value.of(0)).setSuccessRateMinimumHosts(UInt32Value.of(3))
                .setSuccessRateRequestVolume(UInt32Value.of(20)).setSuccessRateStdevFactor(UInt32Value.of(1000))))
                .isEqualTo(new io.meshwork.proxy.cluster.OutlierDetection(0, 0, Duration.ofSeconds(10),
                        Duration.ofSeconds(30), Duration.ofSeconds(300), 10,
                        new io.meshwork.proxy.cluster.OutlierDetection.SuccessRate(3, 20, 1000)));
        assertThat(read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0))
                .setSuccessRateMinimumHosts(UInt32Value.of(3))).successRate()).isNull();
    }

    @Test
    void whatTheSidecarCannotDoIsNackedNamingTheField() {
        String where = "Cluster \"" + cluster.getName() + "\": field outlier_detection.";
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder().setEnforcingFailurePercentage(UInt32Value.of(10))))
                .hasMessage(where + "enforcing_failure_percentage: failure-percentage ejection is not supported "
                        + "(set it to 0)");
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(50))))
                .hasMessage(where + "enforcing_success_rate 50 is not supported (0 or 100)");
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0))
                .setEnforcingConsecutive5Xx(UInt32Value.of(50))))
                .hasMessage(where + "enforcing_consecutive_5xx 50 is not supported (0 or 100)");
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0))
                .setSplitExternalLocalOriginErrors(true)))
                .hasMessage(where + "split_external_local_origin_errors is not supported");
    }
}
