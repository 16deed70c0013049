package io.meshwork.proxy.filter.fault;

import static io.meshwork.proxy.testing.MeshConfigFolder.service;
import static io.meshwork.proxy.testing.MeshConfigFolder.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.meshwork.proxy.testing.GrpcEcho;
import io.meshwork.proxy.testing.NettyBackend;
import io.meshwork.proxy.testing.PayMesh;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshFaultInjection end to end: YAML in a watched folder, the real control plane's fault filter and per-route HTTPFault
 * over LDS/RDS, the real sidecar and a Netty backend on loopback. Shares are checked against binomial bounds: with
 * {@code n} requests at share {@code p} the observed share has a standard deviation of sqrt(p(1-p)/n), and each test
 * takes enough requests that ±3 points is at least 5 standard deviations (a false failure about once in 1.7 million
 * runs): p 50% needs n ≥ (5 × 0.5 / 0.03)² ≈ 6,945, p 10% needs n ≥ (5 × 0.3 / 0.03)² = 2,500.
 */
class FaultInjectionTest {

    private static final String PAY = PayMesh.URL;
    private static final String ABORTS = "http.outbound.fault.aborts_injected";
    private static final String DELAYS = "http.outbound.fault.delays_injected";

    @TempDir
    Path configDir;
    private NettyBackend backend;
    private PayMesh mesh;

    @AfterEach
    void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void startMesh(String spec) throws Exception {
        backend = new NettyBackend("pay-0", request -> 200);
        mesh = PayMesh.on(configDir, new int[] {backend.port()}, List.of(),
                PayMesh.policy("MeshFaultInjection", "{kind: Service, name: pay, port: 8080}", spec));
    }

    /** One answer as the client saw it. */
    private record Answer(int status, String body, long millis) {
    }

    /** {@code total} GETs of pay from {@code clients} threads at once, with {@code headers}. */
    private List<Answer> send(int total, int clients, Map<String, String> headers) throws Exception {
        List<Answer> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger left = new AtomicInteger(total);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(PAY)).timeout(Duration.ofSeconds(20));
                        headers.forEach(request::header);
                        long start = System.nanoTime();
                        HttpResponse<String> response = mesh.harness.client.send(request.build(),
                                HttpResponse.BodyHandlers.ofString());
                        answers.add(new Answer(response.statusCode(), response.body(),
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
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
        return answers;
    }

    /** A counter of the sidecar's {@code /stats} (0 when not there yet). */
    private long stat(String name) throws Exception {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)$").matcher(mesh.adminStats());
        return line.find() ? Long.parseLong(line.group(1)) : 0;
    }

    private long prometheus(String fault) throws Exception {
        Matcher line = Pattern.compile("mesh_fault_injections_total\\{[^}]*destination_service=\"pay.default.svc"
                + ".cluster.local\",fault=\"" + fault + "\"[^}]*} ([0-9.]+)").matcher(
                mesh.fetch(mesh.harness.sidecar.metricsPort(), "/stats/prometheus"));
        return line.find() ? (long) Double.parseDouble(line.group(1)) : 0;
    }

    @Test
    void abortPercentage50AbortsHalfTheRequestsWithinThreePoints() throws Exception {
        startMesh("abort: {httpStatus: 503, percentage: 50}\n");
        int total = 7_000;

        List<Answer> answers = send(total, 16, Map.of());

        long aborted = answers.stream().filter(a -> a.status() == 503).count();
        long passed = answers.stream().filter(a -> a.status() == 200).count();
        System.out.println("FaultInjectionTest abort 50%: " + aborted + " of " + total + " aborted");
        assertThat(aborted + passed).isEqualTo(total);
        assertThat(aborted / (double) total).isBetween(0.47, 0.53);
        assertThat(answers).filteredOn(a -> a.status() == 503).allMatch(a -> a.body().equals("fault filter abort\n"));
        assertThat(backend.requests()).as("aborted requests never reach the backend").isEqualTo((int) passed);
        assertThat(stat(ABORTS)).isEqualTo(aborted);
        assertThat(prometheus("abort")).isEqualTo(aborted);
        assertThat(stat(DELAYS)).isZero();
    }

    @Test
    void delayPercentage10DelaysThatShareByTheFixedDelayWithinThreePoints() throws Exception {
        // 1 s: far above what an undelayed request takes, even with 25 clients on a loaded machine (at load 12 on 2
        // cores their p99 was 185 ms, and 1% took over 500 ms).
        startMesh("delay: {fixedDelay: 1s, percentage: 10}\n");
        int total = 2_500;

        List<Answer> answers = send(total, 25, Map.of());

        assertThat(answers).allMatch(a -> a.status() == 200);
        long delayed = stat(DELAYS);
        long slow = answers.stream().filter(a -> a.millis() >= 1_000).count();
        System.out.println("FaultInjectionTest delay 10%: " + delayed + " of " + total + " delayed, " + slow
                + " answers took 1 s or more; undelayed p99 " + answers.stream().mapToLong(Answer::millis)
                .filter(m -> m < 1_000).sorted().skip((long) ((total - slow) * 0.99)).findFirst().orElse(0) + " ms");
        assertThat(slow / (double) total).isBetween(0.07, 0.13);
        assertThat(delayed / (double) total).isBetween(0.07, 0.13);
        // Every delayed request took at least the delay (a timer never fires early); a few others may be slow on a
        // loaded machine, hence the margin above, not below.
        assertThat(slow).isBetween(delayed, delayed + total / 50);
        assertThat(prometheus("delay")).isEqualTo(delayed);
        // Every request reached the backend (a delay aborts nothing); java.net.http sends a GET again, once, when its
        // connection breaks before the answer, which a loaded machine did to one of 2,500.
        assertThat(backend.requests()).isBetween(total, total + total / 500);
    }

    @Test
    void aHeaderMatchFaultsOnlyTheRequestsThatCarryIt() throws Exception {
        startMesh("""
                match: {headers: {x-fault: "on"}}
                abort: {httpStatus: 418, percentage: 100}
                """);

        List<Answer> tagged = send(50, 4, Map.of("x-fault", "on"));
        List<Answer> others = send(50, 4, Map.of("x-fault", "off"));
        List<Answer> untagged = send(50, 4, Map.of());

        assertThat(tagged).allMatch(a -> a.status() == 418);
        assertThat(others).allMatch(a -> a.status() == 200 && a.body().equals("pay-0"));
        assertThat(untagged).allMatch(a -> a.status() == 200);
        assertThat(backend.requests()).isEqualTo(100);
        assertThat(stat(ABORTS)).isEqualTo(50);
    }

    @Test
    void aDelayHoldsItsRequestWithoutHoldingTheEventLoop() throws Exception {
        startMesh("""
                match: {headers: {x-slow: "yes"}}
                delay: {fixedDelay: 2s, percentage: 100}
                """);

        CompletableFuture<HttpResponse<String>> held = mesh.harness.client.sendAsync(HttpRequest.newBuilder(
                URI.create(PAY)).header("x-slow", "yes").timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            assertThat(mesh.harness.get(PAY).statusCode()).isEqualTo(200);
        }
        long others = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(held).isNotDone();
        assertThat(others).as("20 requests while one is delayed on the sidecar's one event loop").isLessThan(1_500);
        HttpResponse<String> delayed = held.get(10, TimeUnit.SECONDS);
        assertThat(delayed.statusCode()).isEqualTo(200);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1_900);
    }

    @Test
    void aGrpcCallAbortedGetsTheGrpcStatusInATrailersOnlyAnswer() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Server ledger = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(io.grpc.ServerInterceptors.intercept(GrpcEcho.service(), new io.grpc.ServerInterceptor() {
                    @Override
                    public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
                            io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
                        calls.incrementAndGet();
                        return next.startCall(call, headers);
                    }
                })).build().start();
        backend = new NettyBackend("pay-0", request -> 200);
        ManagedChannel channel = null;
        try {
            mesh = PayMesh.on(configDir, new int[] {backend.port()},
                    List.of(service("ledger", 9090, "grpc", Map.of("app", "ledger")),
                            workload("ledger-0", Map.of("app", "ledger"), "grpc", ledger.getPort())),
                    PayMesh.policy("MeshFaultInjection", "{kind: Service, name: ledger}",
                            "abort: {grpcStatus: 8, percentage: 100}\n"),
                    PayMesh.policy("MeshFaultInjection", "{kind: Service, name: pay}",
                            "abort: {httpStatus: 503, percentage: 100}\n").replace("name: pay, namespace", "name: pay2, namespace"));
            channel = NettyChannelBuilder.forAddress("127.0.0.1", mesh.harness.outboundPort())
                    .overrideAuthority("ledger:9090").usePlaintext().build();
            ManagedChannel call = channel;

            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(call, GrpcEcho.UNARY,
                        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), new byte[] {1}))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                            assertThat(e.getStatus().getDescription()).isEqualTo("fault filter abort");
                        });
            }
            assertThat(calls.get()).as("calls that reached the gRPC server").isZero();
            // Pay's own HTTP abort is untouched by ledger's: the policy of each Service applies to it only.
            assertThat(mesh.harness.get(PAY).statusCode()).isEqualTo(503);
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            ledger.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDelayedGrpcCallGoesOnWithItsBodyWhenTheDelayIsOver() throws Exception {
        Server ledger = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(GrpcEcho.service()).build().start();
        backend = new NettyBackend("pay-0", request -> 200);
        ManagedChannel channel = null;
        try {
            mesh = PayMesh.on(configDir, new int[] {backend.port()},
                    List.of(service("ledger", 9090, "grpc", Map.of("app", "ledger")),
                            workload("ledger-0", Map.of("app", "ledger"), "grpc", ledger.getPort())),
                    PayMesh.policy("MeshFaultInjection", "{kind: Service, name: ledger}",
                            "delay: {fixedDelay: 300ms, percentage: 100}\n"));
            channel = NettyChannelBuilder.forAddress("127.0.0.1", mesh.harness.outboundPort())
                    .overrideAuthority("ledger:9090").usePlaintext().build();

            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                byte[] body = new byte[64 * 1024];
                body[0] = (byte) i;
                byte[] reply = ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), body);
                // The request's DATA came while it was held (HTTP/2 stream): it went on whole after the delay, and
                // the echo answered "hello " and all of it.
                assertThat(reply).hasSize(6 + body.length);
                assertThat(java.util.Arrays.copyOfRange(reply, 6, reply.length)).isEqualTo(body);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(300);
            }
            assertThat(stat(DELAYS)).isEqualTo(5);
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            ledger.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
