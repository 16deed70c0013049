package io.meshwork.cli.demo;

import io.meshwork.cli.SidecarMetrics;
import io.meshwork.controlplane.ca.WorkloadTokens;
import io.meshwork.controlplane.canary.TrafficObserver;
import io.meshwork.controlplane.model.Workload;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The processes of the demo mesh: one control plane, per meshed workload an echo app and its sidecar, and a
 * {@code mesh gateway} at the edge.
 */
final class DemoMesh implements AutoCloseable {

    /** The ports one sidecar was given. */
    record Sidecar(Workload workload, int outboundPort, int inboundPort, int adminPort, int healthPort, int metricsPort) {
        TrafficObserver metrics() {
            return new SidecarMetrics(null, List.of(URI.create("http://127.0.0.1:" + metricsPort + "/stats/prometheus")),
                    DemoCommand.NAMESPACE);
        }
    }

    /** The ports a {@code mesh gateway} was given (its listeners' ports are its Gateway's), and its ready line. */
    record EdgeGateway(String name, String namespace, int adminPort, int healthPort, int metricsPort, String readyLine) {
        /** Its admin's {@code /stats}: {@code requests_total}, or -1 when it cannot be read. */
        long requestsServed() {
            try {
                HttpResponse<String> stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + adminPort + "/stats")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                return stats.body().lines().filter(l -> l.startsWith("requests_total ")).mapToLong(
                        l -> Long.parseLong(l.substring("requests_total ".length()).trim())).findFirst().orElse(-1);
            } catch (IOException | RuntimeException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private static final int BIND_ATTEMPTS = 3;
    private static final String TRUST_DOMAIN = "cluster.local";

    private final Path config;
    private final ProcessSupervisor supervisor;
    private final Printer out;
    private final LoopbackPorts ports;
    private final Map<String, Sidecar> sidecars = new LinkedHashMap<>();
    private EdgeGateway gateway;
    private ProcessSupervisor.Child gatewayChild;
    private final Path caDir;
    private int xdsPort;
    private int adminPort;
    private int caPort;
    private volatile boolean contextPublished;

    DemoMesh(Path config, Path logs, Printer out, LoopbackPorts ports) throws IOException {
        this.config = config;
        this.supervisor = new ProcessSupervisor(logs);
        this.out = out;
        this.ports = ports;
        this.caDir = config.resolveSibling("ca");
    }

    void startControlPlane() throws IOException, InterruptedException {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            xdsPort = ports.next();
            adminPort = ports.next();
            caPort = ports.next();
            var child = supervisor.start("control-plane", smallJvm(), List.of("control-plane", "--config-dir", config.toString(),
                    "--address", "127.0.0.1", "--xds-port", Integer.toString(xdsPort), "--admin-port", Integer.toString(adminPort),
                    "--ca-dir", caDir.toString(), "--ca-port", Integer.toString(caPort)));
            if (awaitBound(child, URI.create("http://127.0.0.1:" + adminPort + "/ready"), attempt)) {
                break;
            }
        }
        out.ok(String.format("control plane ready: xDS 127.0.0.1:%d, admin http://127.0.0.1:%d, CA 127.0.0.1:%d (%.1fs)", xdsPort,
                adminPort, caPort, (System.nanoTime() - start) / 1e9));
    }

    /** Starts the echo app of {@code w} (failing {@code failureRate} of requests) and its sidecar; waits for both. */
    void startWorkload(Workload w, double failureRate) throws IOException, InterruptedException {
        long start = System.nanoTime();
        String name = w.ref().name();
        String app = w.labels().getOrDefault("app", name);
        Path token = workloadToken(w);
        Sidecar sidecar;
        for (int attempt = 1; ; attempt++) {
            sidecar = new Sidecar(w, ports.next(), ports.next(), ports.next(), ports.next(), ports.next());
            var proxy = supervisor.start(name + "-proxy", proxyJvm(), List.of("proxy",
                    // xDS on the CA's TLS port, authenticated with the workload's token, as in a cluster
                    "--xds", "127.0.0.1:" + caPort, "--workload", name, "--namespace", w.ref().namespace(),
                    "--service-account", w.serviceAccount(), "--bind-address", "127.0.0.1",
                    "--outbound-port", Integer.toString(sidecar.outboundPort()),
                    "--inbound-port", Integer.toString(sidecar.inboundPort()),
                    "--admin-port", Integer.toString(sidecar.adminPort()),
                    "--health-port", Integer.toString(sidecar.healthPort()),
                    "--metrics-port", Integer.toString(sidecar.metricsPort()),
                    "--token-file", token.toString(), "--ca-address", "127.0.0.1:" + caPort,
                    "--ca-root-file", caDir.resolve("root-cert.pem").toString()));
            if (awaitBound(proxy, URI.create("http://127.0.0.1:" + sidecar.healthPort() + "/healthz/ready"), attempt)) {
                break;
            }
        }
        sidecars.put(name, sidecar);
        List<String> echoArgs = new ArrayList<>(List.of("echo", "--name", app, "--version", w.version().isEmpty() ? "v1" : w.version(),
                "--pod", name, "--address", "127.0.0.1", "--port", Integer.toString(w.appPorts().values().iterator().next()),
                "--failure-rate", Double.toString(failureRate)));
        if (app.equals("frontend")) {
            echoArgs.addAll(List.of("--upstream", "http://127.0.0.1:" + sidecar.outboundPort(), "--call", "reviews"));
        }
        var echo = supervisor.start(name, smallJvm(), echoArgs);
        int appPort = w.appPorts().values().iterator().next();
        supervisor.awaitReady(echo, URI.create("http://127.0.0.1:" + appPort + "/healthz"), READY_TIMEOUT);
        out.ok(String.format("%-14s %-4s app 127.0.0.1:%d, sidecar %s%s (%.1fs)", name, w.version(), appPort,
                w.address(), w.ports().values(), (System.nanoTime() - start) / 1e9)
                + (failureRate > 0 ? String.format(", failing %.0f%% of requests", failureRate * 100) : ""));
    }

    /**
     * Starts {@code mesh gateway --name name --namespace namespace}, with its own workload token (service account
     * {@code <name>-meshwork}, the one {@code mesh install --gateway} runs it as and the only one the control plane
     * serves the Gateway's keys to): over the CA's authenticated xDS it gets its Gateway's listeners, routes and certificates, and a
     * workload certificate it presents to meshed backends (mutual TLS). Does not wait: {@link #awaitGateway} does, so
     * the gateway's JVM starts while the workloads do.
     */
    void launchGateway(String name, String namespace) throws IOException {
        String account = io.meshwork.certs.SpiffeId.gatewayServiceAccount(name);
        Path token = workloadToken(name, namespace, account);
        EdgeGateway ports = new EdgeGateway(name, namespace, this.ports.next(), this.ports.next(), this.ports.next(), null);
        gatewayChild = supervisor.start("gateway-" + name, proxyJvm(), List.of("gateway",
                "--xds", "127.0.0.1:" + caPort, "--name", name, "--namespace", namespace,
                "--service-account", account, "--bind-address", "127.0.0.1",
                "--admin-port", Integer.toString(ports.adminPort()),
                "--health-port", Integer.toString(ports.healthPort()),
                "--metrics-port", Integer.toString(ports.metricsPort()),
                "--token-file", token.toString(), "--ca-address", "127.0.0.1:" + caPort,
                "--ca-root-file", caDir.resolve("root-cert.pem").toString()));
        gateway = ports;
    }

    /**
     * Waits until the gateway {@link #launchGateway} started is ready and has logged where its listeners are bound
     * (started again on other admin ports if one was taken meanwhile); returns it with that line. Fails when a
     * listener could not be bound.
     */
    EdgeGateway awaitGateway() throws IOException, InterruptedException {
        for (int attempt = 1; !awaitBound(gatewayChild, URI.create("http://127.0.0.1:" + gateway.healthPort()
                + "/healthz/ready"), attempt); attempt++) {
            launchGateway(gateway.name(), gateway.namespace());
        }
        String marker = "Gateway " + gateway.namespace() + "/" + gateway.name() + " ready: ";
        String line = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (line == null && System.nanoTime() < deadline) {
            line = java.nio.file.Files.readAllLines(gatewayChild.log()).stream().filter(l -> l.contains(marker)).findFirst()
                    .map(l -> l.substring(l.indexOf(marker) + marker.length())).orElse(null);
            if (line == null) {
                Thread.sleep(50);
            }
        }
        if (line == null || line.contains("NOT BOUND") || !line.startsWith("listening on")) {
            throw new IOException("gateway " + gateway.name() + (line == null ? " logged no ready line" : ": " + line)
                    + ":\n" + ProcessSupervisor.tail(gatewayChild.log(), 15));
        }
        gateway = new EdgeGateway(gateway.name(), gateway.namespace(), gateway.adminPort(), gateway.healthPort(),
                gateway.metricsPort(), line);
        return gateway;
    }

    /**
     * The token that proves {@code w}'s identity to the CA, as {@code mesh token create} makes it, signed with the token
     * key in the control plane's CA folder: with it the sidecar gets a certificate for
     * {@code spiffe://cluster.local/ns/<ns>/sa/<service account>}, and the mesh runs mutual TLS.
     */
    private Path workloadToken(Workload w) throws IOException {
        return workloadToken(w.ref().name(), w.ref().namespace(), w.serviceAccount());
    }

    private Path workloadToken(String workload, String namespace, String serviceAccount) throws IOException {
        String token = WorkloadTokens.inFolder(caDir, TRUST_DOMAIN).create(workload, namespace, serviceAccount,
                Duration.ofDays(1));
        Path file = java.nio.file.Files.createDirectories(caDir.resolveSibling("tokens")).resolve(workload + ".jwt");
        java.nio.file.Files.writeString(file, token);
        return file;
    }

    /**
     * Whether {@code w}'s sidecar answers a plaintext HTTP request on its first inbound port: a STRICT port closes the
     * connection, as it carries no TLS client hello.
     */
    static boolean answersPlaintext(Workload w) throws IOException {
        int port = w.ports().values().iterator().next();
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(w.address(), port), 2000);
            socket.setSoTimeout(3000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] head = socket.getInputStream().readNBytes(5);
            return new String(head, StandardCharsets.US_ASCII).equals("HTTP/");
        } catch (java.net.SocketException | java.net.SocketTimeoutException closed) {
            return false;
        }
    }

    /**
     * Sends {@code requests} requests to {@code service} through {@code via}'s sidecar before a promotion gives it traffic,
     * as Flagger's pre-rollout load test does: the canary's first mTLS handshakes and its sidecar's cold code paths then
     * do not land in the first step's p99.
     */
    static void warmUp(Sidecar via, String service, int port, int requests) throws IOException, InterruptedException {
        warmUp(new LoadGenerator(new java.net.InetSocketAddress("127.0.0.1", via.outboundPort()),
                URI.create("http://" + service + ":" + port + "/"), 2, Duration.ZERO), requests);
    }

    /** Runs {@code warm} (closed afterwards) until it has had {@code requests} answers that did not fail, for 10 s at most. */
    static void warmUp(LoadGenerator warm, int requests) throws InterruptedException {
        try (warm) {
            warm.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (warm.total() - warm.failures() < requests && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
    }

    /** The SPIFFE ID a workload's certificate carries. */
    static String spiffeId(Workload w) {
        return spiffeId(w.ref().namespace(), w.serviceAccount());
    }

    static String spiffeId(String namespace, String serviceAccount) {
        return "spiffe://" + TRUST_DOMAIN + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    /**
     * Tells later {@code mesh} commands where this mesh is ({@link io.meshwork.cli.DemoContext}): without
     * {@code --config-dir} and {@code --control-plane} they act on it. {@link #close()} takes it back.
     */
    void publishContext() throws IOException {
        io.meshwork.cli.DemoContext.write(config, controlPlaneAdmin());
        if (!contextPublished) {
            // Ctrl-C ends the JVM without close(): the file goes with the processes.
            Runtime.getRuntime().addShutdownHook(new Thread(io.meshwork.cli.DemoContext::remove, "mesh-demo-context"));
        }
        contextPublished = true;
    }

    /** The control plane's admin URL ({@code /ready}, {@code /debug/proxies}, {@code /metrics}). */
    URI controlPlaneAdmin() {
        return URI.create("http://127.0.0.1:" + adminPort);
    }

    Sidecar sidecarOf(String app) {
        return sidecars.values().stream().filter(s -> s.workload().labels().getOrDefault("app", "").equals(app)
                        || s.workload().ref().name().startsWith(app))
                .findFirst().orElseThrow(() -> new IllegalStateException("samples config has no meshed workload of app " + app));
    }

    void printWorkloads() {
        out.step(sidecars.size() + " workloads, each behind its own sidecar; logs in " + supervisorLogs());
    }

    /** {@code edgeCommands}: the curl lines that call the gateway, empty without one. */
    void printAddresses(List<String> edgeCommands) {
        out.always("");
        out.always("control plane   xDS 127.0.0.1:" + xdsPort + "   admin http://127.0.0.1:" + adminPort + " (/debug/proxies, /metrics)");
        if (gateway != null) {
            out.always(String.format("%-14s %s   admin http://127.0.0.1:%d (/stats)   metrics http://127.0.0.1:%d/stats/prometheus",
                    "gateway " + gateway.name(), gateway.readyLine().replaceFirst("^listening on ", "edge "),
                    gateway.adminPort(), gateway.metricsPort()));
        }
        for (Sidecar s : sidecars.values()) {
            out.always(String.format("%-14s outbound http://127.0.0.1:%d   admin http://127.0.0.1:%d   metrics http://127.0.0.1:%d/stats/prometheus",
                    s.workload().ref().name(), s.outboundPort(), s.adminPort(), s.metricsPort()));
        }
        Sidecar frontend = sidecarOf("frontend");
        out.always("");
        for (String curl : edgeCommands) {
            out.always((curl.equals(edgeCommands.get(0)) ? "try:  " : "      ") + curl);
        }
        out.always((edgeCommands.isEmpty() ? "try:  " : "      ") + "curl -x http://127.0.0.1:" + frontend.outboundPort()
                + " http://reviews:9080/     (as the frontend calls reviews)");
        out.always("      ./mesh split set reviews reviews-v1=50 reviews-v2=50     (config: " + config + ")");
        out.always("      ./mesh proxy-status                                       (the CLI finds this demo while it runs)");
    }

    private String supervisorLogs() {
        List<ProcessSupervisor.Child> children = supervisor.children();
        return children.isEmpty() ? "-" : children.get(0).log().getParent().toString();
    }

    /**
     * Waits for {@code child} to be ready. False when it exited because one of its ports was taken after it was
     * checked free (a race with another process), so the caller starts it again on other ports; that happens at
     * most {@value #BIND_ATTEMPTS} times.
     */
    private boolean awaitBound(ProcessSupervisor.Child child, URI ready, int attempt) throws IOException, InterruptedException {
        try {
            supervisor.awaitReady(child, ready, READY_TIMEOUT);
            return true;
        } catch (IOException e) {
            if (attempt >= BIND_ATTEMPTS || child.process().isAlive()
                    || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw e;
            }
            supervisor.stop(child);
            out.step(child.name() + " found a port taken; starting it again on other ports");
            return false;
        }
    }

    static List<String> smallJvm() {
        return List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m", "-Xss512k");
    }

    /** The sidecar's flags file, and its class-data archive when ./mesh made one beside the jar this demo runs. */
    static List<String> proxyJvm() {
        String jar = System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0];
        return io.meshwork.proxy.SidecarJvm.flags(Path.of(jar));
    }

    @Override
    public void close() {
        if (contextPublished) {
            io.meshwork.cli.DemoContext.remove();
        }
        supervisor.close();
    }
}
