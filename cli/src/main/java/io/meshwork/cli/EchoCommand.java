package io.meshwork.cli;

import io.meshwork.samples.echo.EchoConfig;
import io.meshwork.samples.echo.EchoServer;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** {@code mesh echo}: runs the echo sample service (HTTP/1.1, h2c and gRPC on one port) until stopped. */
@Command(name = "echo", description = "Run the echo sample service (HTTP/1.1, HTTP/2 and gRPC on one port).",
        sortOptions = false)
public final class EchoCommand implements Callable<Integer> {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Option(names = "--name", paramLabel = "NAME", required = true, description = "Service name it answers with, e.g. reviews.")
    String name;

    @Option(names = "--version", paramLabel = "VERSION", defaultValue = "v1", description = "Version it answers with (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(names = "--pod", paramLabel = "POD", description = "Pod (instance) name it answers with (default: NAME-VERSION-1).")
    String pod;

    @Option(names = "--address", paramLabel = "ADDRESS", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--latency", paramLabel = "DURATION", defaultValue = "0ms", converter = DurationConverter.class,
            description = "Latency added to every answer, e.g. 50ms (header x-echo-latency overrides).")
    Duration latency;

    @Option(names = "--failure-rate", paramLabel = "FAILURE_RATE", defaultValue = "0",
            description = "Share of requests failed with 500 / gRPC UNAVAILABLE, 0..1 (header x-echo-fail overrides).")
    double failureRate;

    @Option(names = "--upstream", paramLabel = "UPSTREAM", description = "HTTP proxy for calls to --call, e.g. the sidecar's http://127.0.0.1:15001.")
    URI upstream;

    @Option(names = "--call", paramLabel = "CALL", description = "Service called on each request through --upstream (sent as Host), "
            + "e.g. reviews; header x-echo-call overrides.")
    String call;

    @Override
    public Integer call() throws InterruptedException {
        EchoServer server = EchoServer.start(
                new EchoConfig(name, version, pod, address, port, latency, failureRate, upstream, call));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "echo-shutdown"));
        server.awaitClose();
        return 0;
    }

    /** Durations as users write them: 50ms, 1.5s, 250us. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return EchoConfig.parseDuration(value);
        }
    }
}
