package io.meshwork.controlplane.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshwork.controlplane.xds.ProxyStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The control plane's admin endpoint (15014): {@code /ready}, {@code /debug/proxies} (JSON) and
 * {@code /metrics} (Prometheus text), on the JDK's HTTP server.
 */
public final class AdminServer implements AutoCloseable {

    private final InetSocketAddress address;
    private final BooleanSupplier ready;
    private final Supplier<List<ProxyStatus>> proxies;
    private final PrometheusMeterRegistry meters;
    private HttpServer server;
    private ExecutorService executor;

    /**
     * @param ready whether the control plane is ready to serve (first config loaded, xDS listening)
     */
    public AdminServer(InetSocketAddress address, BooleanSupplier ready, Supplier<List<ProxyStatus>> proxies,
                       PrometheusMeterRegistry meters) {
        this.address = address;
        this.ready = ready;
        this.proxies = proxies;
        this.meters = meters;
    }

    public AdminServer start() throws IOException {
        server = HttpServer.create(address, 0);
        server.createContext("/ready", exchange -> {
            boolean ok = ready.getAsBoolean();
            respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/debug/proxies", exchange ->
                respond(exchange, 200, "application/json", ProxiesJson.write(proxies.get())));
        server.createContext("/metrics", exchange ->
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape()));
        // Two threads: a slow scrape must not block a readiness probe.
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "admin-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        try (exchange) {
            // The contexts match by prefix; only the exact paths exist.
            String path = exchange.getRequestURI().getPath();
            if (!path.equals(exchange.getHttpContext().getPath())) {
                status = 404;
                contentType = "text/plain; charset=utf-8";
                body = "no such path: " + path + "\n";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
