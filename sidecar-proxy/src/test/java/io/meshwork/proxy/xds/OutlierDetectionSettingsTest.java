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

/** A cluster's outlier_detection as the sidecar reads it: Envoy's defaults, consecutive errors only, NACKs naming the field. */
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
    void whatTheSidecarCannotDoIsNackedNamingTheField() {
        String where = "Cluster \"" + cluster.getName() + "\": field outlier_detection.";
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder()))
                .hasMessage(where + "enforcing_success_rate and enforcing_failure_percentage: success-rate and "
                        + "failure-percentage ejection are not supported (set them to 0)");
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0))
                .setEnforcingConsecutive5Xx(UInt32Value.of(50))))
                .hasMessage(where + "enforcing_consecutive_5xx 50 is not supported (0 or 100)");
        assertThatThrownBy(() -> read(OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0))
                .setSplitExternalLocalOriginErrors(true)))
                .hasMessage(where + "split_external_local_origin_errors is not supported");
    }
}
