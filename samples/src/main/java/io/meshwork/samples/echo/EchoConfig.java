package io.meshwork.samples.echo;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What an echo instance says about itself and how it misbehaves: identity, where it listens,
 * added latency, the share of requests it fails, and the service it calls through a proxy.
 *
 * @param service     the service name reported in every answer (for example {@code reviews})
 * @param version     the version reported (for example {@code v2})
 * @param pod         the pod (instance) name reported (for example {@code reviews-v2-1})
 * @param address     the address to bind, a loopback address in local mode
 * @param port        the port to bind; 0 picks a free one
 * @param latency     latency added to every answer
 * @param failureRate share of requests answered with a failure, 0 to 1
 * @param upstream    HTTP proxy (a sidecar's outbound listener) used for calls to {@code call}, or null
 * @param call        Host of the service called on each request through {@code upstream}, or null
 */
public record EchoConfig(
        String service,
        String version,
        String pod,
        String address,
        int port,
        Duration latency,
        double failureRate,
        URI upstream,
        String call) {

    public EchoConfig {
        Objects.requireNonNull(service, "echo: service name is required");
        version = version == null || version.isBlank() ? "v1" : version;
        pod = pod == null || pod.isBlank() ? service + "-" + version + "-1" : pod;
        address = address == null || address.isBlank() ? "127.0.0.1" : address;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("echo " + service + ": port " + port + " is not in 0..65535");
        }
        latency = latency == null ? Duration.ZERO : latency;
        if (latency.isNegative()) {
            throw new IllegalArgumentException("echo " + service + ": latency " + latency + " is negative");
        }
        if (!(failureRate >= 0 && failureRate <= 1)) {
            throw new IllegalArgumentException("echo " + service + ": failure rate " + failureRate + " is not in 0..1");
        }
        if (upstream != null && (!"http".equals(upstream.getScheme()) || upstream.getHost() == null)) {
            throw new IllegalArgumentException("echo " + service + ": upstream " + upstream
                    + " is not an http://host:port URL");
        }
        if (call != null && upstream == null) {
            throw new IllegalArgumentException("echo " + service + ": --call " + call + " needs --upstream");
        }
    }

    /** A config with identity and port only: no latency, no failures, no upstream. */
    public static EchoConfig of(String service, String version, String pod, String address, int port) {
        return new EchoConfig(service, version, pod, address, port, Duration.ZERO, 0, null, null);
    }

    /**
     * Parses a duration as users write it: {@code 50ms}, {@code 1.5s}, {@code 250us}, {@code 2m};
     * a bare number means milliseconds.
     */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return nanos(t.substring(0, t.length() - 2), 1_000_000L);
            } else if (t.endsWith("us") || t.endsWith("µs")) {
                return nanos(t.substring(0, t.length() - 2), 1_000L);
            } else if (t.endsWith("s")) {
                return nanos(t.substring(0, t.length() - 1), 1_000_000_000L);
            } else if (t.endsWith("m")) {
                return nanos(t.substring(0, t.length() - 1), 60_000_000_000L);
            }
            return nanos(t, 1_000_000L);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("duration \"" + text + "\" does not parse (use 50ms, 1.5s, 250us)");
        }
    }

    private static Duration nanos(String number, long unitNanos) {
        double value = Double.parseDouble(number.trim());
        if (value < 0 || Double.isNaN(value)) {
            throw new NumberFormatException(number);
        }
        return Duration.ofNanos(Math.round(value * unitNanos));
    }
}
