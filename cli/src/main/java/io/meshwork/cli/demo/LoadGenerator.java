package io.meshwork.cli.demo;

import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A steady HTTP load: a few workers, each sending a request about every {@code pause}, counting answers per backend
 * version and failures. Either through one sidecar used as the application's HTTP proxy (the version read from the
 * echo service's JSON body), or {@link #toEdge to a gateway's listener} with a {@code Host} header, as
 * {@code curl -H 'Host: ...'} sends it (the version of the service the echo app behind it called, from its
 * {@code x-echo-upstream-version} header, else its own).
 */
public final class LoadGenerator implements AutoCloseable {

    private static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]*)\"");

    private final HttpClient http;
    private final InetSocketAddress edge;
    private final String host;
    private final URI target;
    private final int workers;
    private final Duration pause;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Map<String, LongAdder> perVersion = new ConcurrentHashMap<>();
    private final LongAdder failures = new LongAdder();
    private final LongAdder total = new LongAdder();
    private Thread[] threads = new Thread[0];

    public LoadGenerator(InetSocketAddress sidecarOutbound, URI target, int workers, Duration pause) {
        this(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .proxy(ProxySelector.of(sidecarOutbound))
                .connectTimeout(Duration.ofSeconds(2))
                .build(), null, null, target, workers, pause);
    }

    private LoadGenerator(HttpClient http, InetSocketAddress edge, String host, URI target, int workers, Duration pause) {
        this.http = http;
        this.edge = edge;
        this.host = host;
        this.target = target;
        this.workers = workers;
        this.pause = pause;
    }

    /**
     * Load sent straight to {@code listener} (a gateway's HTTP listener) as {@code GET path} with {@code Host: host}, one
     * keep-alive connection per worker (the JDK's client cannot set {@code Host}).
     */
    public static LoadGenerator toEdge(InetSocketAddress listener, String host, String path, int workers, Duration pause) {
        return new LoadGenerator(null, listener, host, URI.create(path), workers, pause);
    }

    public void start() {
        running.set(true);
        threads = new Thread[workers];
        for (int i = 0; i < workers; i++) {
            threads[i] = new Thread(this::loop, "load-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    private void loop() {
        if (edge != null) {
            edgeLoop();
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(5)).build();
        while (running.get()) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                total.increment();
                if (response.statusCode() >= 500) {
                    failures.increment();
                }
                Matcher m = VERSION.matcher(response.body());
                perVersion.computeIfAbsent(m.find() ? m.group(1) : "?", v -> new LongAdder()).increment();
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                total.increment();
                failures.increment();
            }
        }
    }

    private void edgeLoop() {
        EdgeConnection connection = null;
        while (running.get()) {
            try {
                if (connection == null) {
                    connection = new EdgeConnection(edge);
                }
                EdgeConnection.Answer answer = connection.get(target.getPath(), host);
                total.increment();
                if (answer.status() >= 500) {
                    failures.increment();
                }
                perVersion.computeIfAbsent(answer.version() == null ? "?" : answer.version(), v -> new LongAdder())
                        .increment();
                if (!answer.keepAlive()) {
                    connection.close();
                    connection = null;
                }
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                break;
            } catch (Exception e) {
                total.increment();
                failures.increment();
                if (connection != null) {
                    connection.close();
                    connection = null;
                }
            }
        }
        if (connection != null) {
            connection.close();
        }
    }

    /** Requests answered so far per backend version. */
    public Map<String, Long> perVersion() {
        Map<String, Long> counts = new TreeMap<>();
        perVersion.forEach((v, n) -> counts.put(v, n.sum()));
        return counts;
    }

    public long total() {
        return total.sum();
    }

    public long failures() {
        return failures.sum();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.interrupt();
            t.join(2000);
        }
    }
}
