package io.meshwork.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How a route's max_stream_duration and a call's grpc-timeout bound one stream, as Envoy's connection manager reads them. */
class StreamDurationTest {

    private static HttpHeaders grpc(String timeout) {
        HttpHeaders headers = new DefaultHttpHeaders().set("content-type", "application/grpc");
        return timeout == null ? headers : headers.set("grpc-timeout", timeout);
    }

    @Test
    void grpcTimeoutIsReadInEveryUnitRoundedUpToMillisecondsAndIgnoredWhenMalformed() {
        assertThat(StreamDuration.grpcTimeoutMillis("200m")).isEqualTo(200);
        assertThat(StreamDuration.grpcTimeoutMillis("2S")).isEqualTo(2_000);
        assertThat(StreamDuration.grpcTimeoutMillis("1M")).isEqualTo(60_000);
        assertThat(StreamDuration.grpcTimeoutMillis("1H")).isEqualTo(3_600_000);
        assertThat(StreamDuration.grpcTimeoutMillis("1500u")).isEqualTo(2);
        assertThat(StreamDuration.grpcTimeoutMillis("1n")).isEqualTo(1);
        assertThat(StreamDuration.grpcTimeoutMillis("123456789m")).as("more than 8 digits").isZero();
        assertThat(StreamDuration.grpcTimeoutMillis("10s")).as("no such unit").isZero();
        assertThat(StreamDuration.grpcTimeoutMillis(null)).isZero();
    }

    @Test
    void theHeaderIsTakenUpToItsMaximumAndOnlyWhenTheRouteSaysSo() {
        StreamDuration capped = new StreamDuration(Duration.ofSeconds(2), Duration.ofSeconds(2));
        assertThat(capped.deadline(grpc("300m"))).isEqualTo(new StreamDuration.Deadline(300, "grpc-timeout 300 ms"));
        assertThat(capped.deadline(grpc("30S"))).isEqualTo(new StreamDuration.Deadline(2_000, "route maximum 2000 ms"));
        assertThat(capped.deadline(grpc(null)).millis()).as("no header: max_stream_duration").isEqualTo(2_000);
        assertThat(new StreamDuration(Duration.ZERO, Duration.ZERO).deadline(grpc("30S")).millis())
                .as("header max 0: the header as it is").isEqualTo(30_000);
        assertThat(new StreamDuration(Duration.ofSeconds(2), null).deadline(grpc("300m")).millis())
                .as("no header max: the header is not read").isEqualTo(2_000);
    }

    @Test
    void aBoundEqualToTheRouteTimeoutEndsAGrpcCallButLeavesOtherRequestsTheRoutes504() {
        StreamDuration capped = new StreamDuration(Duration.ofSeconds(2), Duration.ofSeconds(2));
        assertThat(capped.before(2_000, grpc("30S")).millis()).isEqualTo(2_000);
        assertThat(capped.before(2_000, new DefaultHttpHeaders()).millis()).isZero();
        assertThat(capped.before(1_000, grpc("30S")).millis()).as("the route timeout comes first").isZero();
        assertThat(capped.before(0, grpc("300m")).millis()).as("no route timeout").isEqualTo(300);
    }
}
