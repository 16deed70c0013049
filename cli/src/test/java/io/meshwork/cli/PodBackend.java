package io.meshwork.cli;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** One pod of a test cluster: an HTTP server on loopback answering {@code status} and counting what it answers. */
final class PodBackend implements AutoCloseable {

    final String name;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong lastRequestNanos = new AtomicLong();
    /** The {@code x-forwarded-client-cert} of the last request (a sidecar in front says who called over mTLS). */
    final AtomicReference<String> lastClientCert = new AtomicReference<>();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);

    PodBackend(String name, String version, int status) throws Exception {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        byte[] body = ("{\"pod\":\"" + name + "\",\"version\":\"" + version + "\"}").getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            lastRequestNanos.set(System.nanoTime());
            lastClientCert.set(exchange.getRequestHeaders().getFirst("x-forwarded-client-cert"));
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(threads);
        server.start();
    }

    PodBackend(String name, String version) throws Exception {
        this(name, version, 200);
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
