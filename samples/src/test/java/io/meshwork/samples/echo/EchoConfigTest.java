package io.meshwork.samples.echo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EchoConfigTest {

    @Test
    void durationsParseInTheUnitsUsersWrite() {
        assertThat(EchoConfig.parseDuration("50ms")).isEqualTo(Duration.ofMillis(50));
        assertThat(EchoConfig.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(EchoConfig.parseDuration("250us")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(EchoConfig.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(EchoConfig.parseDuration("75")).isEqualTo(Duration.ofMillis(75));
    }

    @Test
    void durationThatDoesNotParseIsNamed() {
        assertThatThrownBy(() -> EchoConfig.parseDuration("fast"))
                .hasMessage("duration \"fast\" does not parse (use 50ms, 1.5s, 250us)");
    }

    @Test
    void failureRateOutsideZeroToOneIsRejected() {
        assertThatThrownBy(() -> new EchoConfig("reviews", "v1", null, null, 0, null, 1.5, null, null))
                .hasMessage("echo reviews: failure rate 1.5 is not in 0..1");
    }

    @Test
    void upstreamMustBeAnHttpUrl() {
        assertThatThrownBy(() -> new EchoConfig("frontend", "v1", null, null, 0, null, 0,
                URI.create("https://127.0.0.1:15001"), "reviews"))
                .hasMessage("echo frontend: upstream https://127.0.0.1:15001 is not an http://host:port URL");
    }

    @Test
    void podDefaultsFromServiceAndVersion() {
        assertThat(new EchoConfig("reviews", "v2", null, null, 0, null, 0, null, null).pod()).isEqualTo("reviews-v2-1");
    }
}
