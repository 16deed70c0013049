package io.meshwork.proxy.route.retry;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import io.meshwork.proxy.testing.GrpcEcho;
import io.meshwork.proxy.testing.MeshConfigFolder;
import io.meshwork.proxy.testing.PayMesh;
import io.meshwork.proxy.testing.ScriptedBackend;
import io.meshwork.proxy.testing.SidecarHarness;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshRetry and MeshTimeout end to end: YAML in a watched folder, the real control plane's translation over ADS,
 * the sidecar's retries and timeouts, and backends on loopback that fail, hang or answer late as each test scripts.
 */
class RetryAndTimeoutTest {

    private static final String PAY = "http://pay:8080/";

    @TempDir
    Path configDir;
    private final List<ScriptedBackend> backends = new ArrayList<>();
    private ControlPlane controlPlane;
    private SidecarHarness harness;

    @AfterEach
    void stop() throws Exception {
        if (harness != null) {
            harness.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        backends.forEach(ScriptedBackend::close);
    }

    private ScriptedBackend backend(String name, ScriptedBackend.Behaviour behaviour) throws Exception {
        ScriptedBackend backend = new ScriptedBackend(name, behaviour);
        backends.add(backend);
        return backend;
    }

    /** Service pay:8080 on the backends so far, the policies given, a control plane and a sidecar configured by it. */
    private void startMesh(String... policies) throws Exception {
        List<String> documents = new ArrayList<>();
        documents.add(service("pay", 8080, "http", Map.of("app", "pay")));
        for (int i = 0; i < backends.size(); i++) {
            documents.add(workload("pay-" + i, Map.of("app", "pay"), "http", backends.get(i).port()));
        }
        startMesh(documents, policies);
    }

    private void startMesh(List<String> mesh, String... policies) throws Exception {
        new MeshConfigFolder(configDir).write("mesh.yaml", mesh.toArray(String[]::new)).write("policies.yaml", policies);
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), configDir).start();
        harness = new SidecarHarness("127.0.0.1:" + controlPlane.xdsPort());
    }

    private static String retry(String fields) {
        return PayMesh.policy("MeshRetry", "{kind: Service, name: pay}", fields);
    }

    private static String timeout(String fields) {
        return PayMesh.policy("MeshTimeout", "{kind: Service, name: pay}", fields);
    }

    /** {@code total} GETs from {@code clients} threads at once; the statuses the client saw, by count. */
    private Map<Integer, Integer> send(int total, int clients) throws Exception {
        Map<Integer, AtomicInteger> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger left = new AtomicInteger(total);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        int status = harness.get(PAY).statusCode();
                        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Map<Integer, Integer> counts = new java.util.TreeMap<>();
        statuses.forEach((status, count) -> counts.put(status, count.get()));
        return counts;
    }

    /** Requests the backends received: every try. */
    private int triesAtBackends() {
        return backends.stream().mapToInt(ScriptedBackend::requests).sum();
    }

    /** GET of the sidecar's own port (admin or metrics), not through it. */
    private static String fetch(int port, String path) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + port + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private String adminStats() throws Exception {
        return fetch(harness.sidecar.adminPort(), "/stats");
    }

    @Test
    void twoEndpointsFailingThirtyPercentAreSeenByTheClientUnderOnePointFivePercentWithThreeAttempts() throws Exception {
        for (String name : List.of("pay-a", "pay-b")) {
            backend(name, exchange -> ThreadLocalRandom.current().nextDouble() < 0.3 ? 503 : 200);
        }
        // A budget wide enough not to interfere: this test is about the attempts.
        startMesh(retry("""
                attempts: 3
                retryOn: [5xx]
                backoff: {baseInterval: 1ms, maxInterval: 4ms}
                budget: {percent: 100, minRetriesPerSecond: 100}
                """));

        int total = 4000;
        Map<Integer, Integer> seen = send(total, 8);

        int failed = total - seen.getOrDefault(200, 0);
        int attempts = triesAtBackends();
        int backendFailures = backends.stream().mapToInt(ScriptedBackend::failures).sum();
        double clientFailureRate = failed / (double) total;
        double backendFailureRate = backendFailures / (double) attempts;
        System.out.printf("30%% failing endpoints, attempts 3: client saw %d of %d failed (%.2f%%), backends failed "
                + "%.1f%% of %d tries (%.3f tries per request)%n", failed, total, 100 * clientFailureRate,
                100 * backendFailureRate, attempts, attempts / (double) total);
        // 0.3^4 = 0.81% expected: 32 of 4000 (sd 5.7); 1.5% is 60, five standard deviations above.
        assertThat(clientFailureRate).isLessThan(0.015);
        assertThat(backendFailureRate).as("the backends really failed about 30%").isBetween(0.27, 0.33);
        assertThat(seen.keySet()).isSubsetOf(200, 503);
        assertThat(adminStats()).contains("cluster.outbound|8080||pay.default.svc.cluster.local.upstream_rq_retry "
                + (attempts - total));
    }

    @Test
    void underAFullOutageRetriesStopAtTheBudget() throws Exception {
        // Every try fails after 20 ms: without a budget each request would make 1 + 3 tries.
        for (String name : List.of("pay-a", "pay-b")) {
            backend(name, exchange -> {
                Thread.sleep(20);
                return 503;
            });
        }
        startMesh(retry("""
                attempts: 3
                retryOn: [5xx]
                backoff: {baseInterval: 1ms, maxInterval: 2ms}
                budget: {percent: 10, minRetriesPerSecond: 1}
                """));

        int clients = 20;
        int total = 1500;
        Map<Integer, Integer> seen = send(total, clients);

        int attempts = triesAtBackends();
        double perRequest = attempts / (double) total;
        String stats = adminStats();
        System.out.printf("full outage, attempts 3, budget 10%% of %d in flight (min 1): %.3f tries per request "
                + "(%d tries for %d requests); %s%n", clients, perRequest, attempts, total,
                stats.lines().filter(l -> l.contains("upstream_rq_retry")).toList());
        assertThat(seen).containsOnlyKeys(503);
        // At most 2 retries in flight (10% of 20) beside 20 requests: retries hold at most 2 of the 20 clients'
        // busy time, each try taking the same 20 ms, so retries <= 2/18 of first tries: 1.11 tries per request.
        assertThat(perRequest).isLessThan(1.25);
        assertThat(stats).containsPattern("upstream_rq_retry_overflow [1-9]");
        String prometheus = fetch(harness.sidecar.metricsPort(), "/stats/prometheus");
        assertThat(prometheus).contains("mesh_upstream_retry_overflow_total{cluster_name=\"outbound|8080||pay.default"
                + ".svc.cluster.local\",destination_service=\"pay\"");
        // The retry policy shows in Envoy's config dump (what mesh proxy-config reads), host predicate included.
        assertThat(fetch(harness.sidecar.adminPort(), "/config_dump")).contains("\"num_retries\": 3")
                .contains("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate");
    }

    @Test
    void aHangingEndpointIsCutAtThePerTryTimeoutAndTheRequestRetriedOnTheOther() throws Exception {
        ScriptedBackend hanging = backend("pay-hanging", exchange -> {
            Thread.sleep(60_000);
            return 200;
        });
        ScriptedBackend healthy = backend("pay-healthy", exchange -> 200);
        startMesh(retry("""
                attempts: 2
                retryOn: [reset]
                perTryTimeout: 200ms
                backoff: {baseInterval: 5ms}
                """));

        for (int i = 0; i < 6; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = harness.get(PAY);
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("pay-healthy");
            // One cut try (200 ms) and a backoff of at most 50 ms; far below the 15 s route timeout.
            assertThat(millis).isLessThan(1_000);
        }
        assertThat(hanging.requests()).as("tries cut on the hanging endpoint").isGreaterThan(0);
        assertThat(healthy.requests()).isEqualTo(6);
    }

    @Test
    void unavailableFromAGrpcServerIsRetriedByTheSidecar() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        // Odd calls fail with UNAVAILABLE (a trailers-only response: grpc-status in the headers), even calls answer.
        Server flaky = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(
                ServerServiceDefinition.builder("echo.Echo").addMethod(GrpcEcho.UNARY,
                        ServerCalls.asyncUnaryCall((request, response) -> {
                            if (calls.incrementAndGet() % 2 == 1) {
                                response.onError(Status.UNAVAILABLE.withDescription("odd call").asRuntimeException());
                            } else {
                                response.onNext(request);
                                response.onCompleted();
                            }
                        })).build()).build().start();
        ManagedChannel channel = null;
        try {
            startMesh(List.of(service("ledger", 9090, "grpc", Map.of("app", "ledger")),
                    workload("ledger-0", Map.of("app", "ledger"), "grpc", flaky.getPort())),
                    retry("attempts: 1\nretryOn: [unavailable]\n").replace("name: pay}", "name: ledger}"));
            channel = NettyChannelBuilder.forAddress("127.0.0.1", harness.outboundPort())
                    .overrideAuthority("ledger:9090").usePlaintext().build();

            for (int i = 0; i < 20; i++) {
                byte[] reply = ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), new byte[] {(byte) i});
                assertThat(reply).containsExactly((byte) i);
            }
            assertThat(calls.get()).as("each call tried twice: UNAVAILABLE, then the answer").isEqualTo(40);
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            flaky.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theRequestTimeoutAnswers504AtTheConfiguredTime() throws Exception {
        backend("pay-slow", exchange -> {
            Thread.sleep(3_000);
            return 200;
        });
        startMesh(timeout("request: 400ms\n"));

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = harness.get(PAY);
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).contains("upstream request timeout for service pay after 400 ms");
            // Never early (the sidecar's clock starts after the client's); late by at most 400 ms: the timer runs on
            // the request's event loop and then writes one small answer (a few ms on an idle machine), so the margin
            // is for a loaded one (2 shared cores, other builds, GC), while 15 s (the default) or 3 s (the backend)
            // would be far out.
            assertThat(millis).isBetween(400L, 800L);
        }
    }
}
