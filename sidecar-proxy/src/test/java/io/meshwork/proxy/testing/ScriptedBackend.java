package io.meshwork.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 backend on loopback whose answer to each request a test scripts: the {@link Behaviour} may wait
 * (or hang) and picks the status; the body is the backend's name. Counts the requests it got.
 */
public final class ScriptedBackend implements AutoCloseable {

    /** Chooses the status of the answer to one request (after reading its body); may sleep to be slow or hang. */
    public interface Behaviour {
        int status(HttpExchange exchange) throws InterruptedException;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();

    public ScriptedBackend(String name, Behaviour behaviour) throws IOException {
        server = TestBackend.loopbackServer();
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            int status;
            try {
                status = behaviour.status(exchange);
            } catch (InterruptedException e) {
                exchange.close();
                return;
            }
            if (status >= 500) {
                failures.incrementAndGet();
            }
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("x-backend", name);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests received, answered or not. */
    public int requests() {
        return requests.get();
    }

    /** Requests answered with a 5xx. */
    public int failures() {
        return failures.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
