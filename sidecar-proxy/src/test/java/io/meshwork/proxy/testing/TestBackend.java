package io.meshwork.proxy.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP/1.1 backend on loopback that answers with its name and echoes the request headers it got
 * as {@code x-seen-<name>}; {@code /upload} counts the request body bytes it streamed,
 * {@code /slow/<millis>} answers after a delay.
 */
public final class TestBackend implements AutoCloseable {

    static {
        // The JDK server writes headers and body separately; without TCP_NODELAY each response waits
        // for the client's delayed ACK (40 ms). The JDK reads this once, when the JVM's first HttpServer
        // starts: every test's HttpServer must come from loopbackServer() so that this runs first.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** A JDK HttpServer on a free loopback port, with TCP_NODELAY; not started. */
    public static HttpServer loopbackServer() throws IOException {
        return HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);

    public TestBackend(String name) throws IOException {
        server = loopbackServer();
        server.createContext("/", exchange -> {
            long bodyBytes = 0;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] buffer = new byte[65536];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    bodyBytes += n;
                }
            }
            exchange.getRequestHeaders().forEach((header, values) ->
                    exchange.getResponseHeaders().add("x-seen-" + header.toLowerCase(), String.join(",", values)));
            String path = exchange.getRequestURI().toString();
            if (path.startsWith("/slow/")) {
                // /slow/<millis>: answers late, for timeouts and draining.
                try {
                    Thread.sleep(Long.parseLong(path.substring("/slow/".length())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = (path.startsWith("/upload") ? Long.toString(bodyBytes) : name + " " + path)
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("x-backend", name);
            exchange.sendResponseHeaders(200, body.length);
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

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
