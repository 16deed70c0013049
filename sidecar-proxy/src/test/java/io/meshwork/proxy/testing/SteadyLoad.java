package io.meshwork.proxy.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A few client threads sending requests back to back, counting answers per backend and failures. */
public final class SteadyLoad implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger ok = new AtomicInteger();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, AtomicInteger> byBackend = new ConcurrentHashMap<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    public SteadyLoad(HttpClient client, String url, int concurrency) {
        for (int i = 0; i < concurrency; i++) {
            Thread thread = new Thread(() -> {
                HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
                while (running.get()) {
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            ok.incrementAndGet();
                            String backend = response.body().split(" ", 2)[0];
                            byBackend.computeIfAbsent(backend, key -> new AtomicInteger()).incrementAndGet();
                        } else {
                            failures.add(response.statusCode() + " " + response.body().strip());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            }, "load-" + i);
            threads.add(thread);
            thread.start();
        }
    }

    public int ok() {
        return ok.get();
    }

    public List<String> failures() {
        return failures;
    }

    public int answeredBy(String backend) {
        AtomicInteger count = byBackend.get(backend);
        return count == null ? 0 : count.get();
    }

    /** Waits until at least {@code more} further successful answers arrived. */
    public void awaitMore(int more) {
        int target = ok() + more;
        Eventually.await(Duration.ofSeconds(20), more + " more successful requests", () -> ok() >= target);
    }

    /** Whether none of the next {@code window} successful answers came from {@code backend}. */
    public boolean noneOfTheNextAnsweredBy(String backend, int window) {
        int before = answeredBy(backend);
        awaitMore(window);
        return answeredBy(backend) == before;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }
}
