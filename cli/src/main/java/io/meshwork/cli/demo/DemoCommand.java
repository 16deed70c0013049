package io.meshwork.cli.demo;

import io.meshwork.cli.SplitFileControl;
import io.meshwork.controlplane.canary.CanaryController;
import io.meshwork.controlplane.canary.CanaryOutcome;
import io.meshwork.controlplane.canary.CanaryPlan;
import io.meshwork.controlplane.canary.SplitSnapshot;
import io.meshwork.controlplane.canary.StepReport;
import io.meshwork.controlplane.canary.TrafficControl;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mesh demo}: the whole mesh on loopback from {@code samples/local} — control plane, echo
 * workloads each behind its own sidecar, a {@code mesh gateway} serving the Gateway {@code web} at the edge,
 * steady load entering through the gateway to the frontend, which calls reviews through its sidecar — then a
 * canary of reviews-v2 promoted to 100% and a failing reviews-v3 rolled back automatically.
 */
@Command(name = "demo", description = "Run the whole mesh locally: promote a canary, then watch a bad one roll back.")
public final class DemoCommand implements Callable<Integer> {

    static final String NAMESPACE = "default";
    /** The Gateway of samples/local/gateway.yaml that the demo's load enters through. */
    static final String GATEWAY = "web";
    private static final int WARM_UP_REQUESTS = 50;

    @Option(names = "--no-color", description = "Plain output.")
    boolean noColor;

    @Option(names = "--quiet", description = "Print only the summary.")
    boolean quiet;

    @Option(names = "--keep-running", description = "Leave the mesh up afterwards (Ctrl-C stops it) and print its addresses.")
    boolean keepRunning;

    @Option(names = "--samples", paramLabel = "DIR", description = "The local config to copy (default: samples/local of this checkout).")
    Path samples;

    @Option(names = "--interval", defaultValue = "4s", converter = io.meshwork.cli.DurationConverter.class,
            description = "Canary analysis interval (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the config copy and the logs go (default: a new temporary folder).")
    Path workDir;

    private Printer out;

    @Override
    public Integer call() throws Exception {
        out = new Printer(System.out, !noColor && System.console() != null, quiet);
        boolean temporary = workDir == null;
        Path work = temporary ? Files.createTempDirectory("mesh-demo-") : Files.createDirectories(workDir);
        Path samplesDir = locateSamples();
        Path extraV3 = samplesDir.resolveSibling("local-extra").resolve("reviews-v3.yaml");
        LoopbackPorts ports = new LoopbackPorts();
        DemoConfig demoConfig = new DemoConfig(ports);
        demoConfig.plan(Files.exists(extraV3) ? List.of(samplesDir, extraV3) : List.of(samplesDir));
        Path config = demoConfig.copy(samplesDir, work.resolve("config"));
        int code;
        DemoMesh mesh = new DemoMesh(config, work.resolve("logs"), out, ports);
        try (mesh) {
            out.heading("Meshwork demo: the mesh on loopback, from " + config);
            mesh.startControlPlane();
            LoadResult loaded = new LocalConfigLoader().load(config);
            if (loaded.hasErrors()) {
                throw new IllegalStateException("samples config has problems: " + loaded.errors());
            }
            MeshSnapshot snapshot = loaded.snapshot();
            Edge edge = Edge.of(snapshot, work.resolve("gateway"));
            if (edge != null) {
                mesh.launchGateway(GATEWAY, NAMESPACE); // its JVM starts while the workloads' do
            }
            for (Workload w : snapshot.workloads().values()) {
                if (w.meshed()) {
                    mesh.startWorkload(w, 0);
                }
            }
            mesh.printWorkloads();
            mesh.publishContext();
            showMutualTls(snapshot);

            DemoMesh.Sidecar frontend = mesh.sidecarOf("frontend");
            int reviewsPort = snapshot.service(io.meshwork.controlplane.model.ObjectRef.of(NAMESPACE, "reviews"))
                    .orElseThrow(() -> new IllegalStateException("samples config has no Service default/reviews"))
                    .ports().get(0).port();
            DemoMesh.EdgeGateway gateway = null;
            if (edge != null) {
                gateway = mesh.awaitGateway();
                for (int port : List.of(edge.httpPort(), edge.httpsPort())) {
                    if (!gateway.readyLine().contains("127.0.0.1:" + port + " (")) {
                        throw new IllegalStateException("gateway " + GATEWAY + " is not listening on 127.0.0.1:" + port + ": "
                                + gateway.readyLine());
                    }
                }
                out.ok(String.format("%-19s edge HTTP 127.0.0.1:%d, HTTPS 127.0.0.1:%d (%s)", "gateway " + GATEWAY,
                        edge.httpPort(), edge.httpsPort(), edge.httpsHost()));
                out.step("the gateway calls the frontend's sidecar over mutual TLS as " + DemoMesh.spiffeId(NAMESPACE, GATEWAY)
                        + "; call the edge from another shell while the demo runs:");
                edge.commands().forEach(c -> out.step("    " + c));
            } else {
                out.step("no Gateway " + NAMESPACE + "/" + GATEWAY + " with an HTTP and an HTTPS listener routing to the"
                        + " frontend in " + config + ": the load goes to the frontend's sidecar directly");
            }
            try (LoadGenerator load = edge != null
                    ? LoadGenerator.toEdge(new InetSocketAddress("127.0.0.1", edge.httpPort()), edge.host(), "/", 4,
                            Duration.ofMillis(15))
                    : new LoadGenerator(new InetSocketAddress("127.0.0.1", frontend.outboundPort()),
                            URI.create("http://reviews:" + reviewsPort + "/"), 4, Duration.ofMillis(15))) {
                if (edge != null) {
                    // The first requests through the edge set up its connections (mTLS to the frontend's sidecar) and
                    // run its cold code: warmed up first, as the canaries are, they do not land in the steady load.
                    DemoMesh.warmUp(LoadGenerator.toEdge(new InetSocketAddress("127.0.0.1", edge.httpPort()), edge.host(),
                            "/", 2, Duration.ZERO), WARM_UP_REQUESTS);
                }
                load.start();
                out.heading(edge != null
                        ? "Steady load: client → gateway " + GATEWAY + " (Host: " + edge.host() + ") → frontend → reviews,"
                                + " sidecar to sidecar"
                        : "Steady load: frontend → reviews through the frontend's sidecar");
                Thread.sleep(2000);
                out.step("requests so far per version: " + load.perVersion() + ", failures " + load.failures());

                out.heading("Canary 1: promote reviews-v2 (healthy)");
                DemoMesh.warmUp(frontend, "reviews-v2", reviewsPort, WARM_UP_REQUESTS);
                CanaryOutcome v2 = promote(config, frontend, "reviews-v1", "reviews-v2", () -> { });

                out.heading("Canary 2: reviews-v3 fails 20% of its requests");
                demoConfig.copy(extraV3, config);
                LoadResult withV3 = new LocalConfigLoader().load(config);
                Workload v3 = withV3.snapshot().workloads().get(io.meshwork.controlplane.model.ObjectRef.of(NAMESPACE, "reviews-v3-1"));
                mesh.startWorkload(v3, 0.2);
                addBackend(config, "reviews-v3");
                CanaryOutcome v3Outcome;
                try (EjectionWatch ejections = new EjectionWatch(frontend, "reviews-v3", out::bad)) {
                    out.step("outlier detection on reviews-v3 (its MeshCircuitBreaker): 2 errors in a row eject an endpoint"
                            + " from the frontend sidecar's balancing; ejections fail a canary check");
                    DemoMesh.warmUp(frontend, "reviews-v3", reviewsPort, WARM_UP_REQUESTS);
                    v3Outcome = promote(config, frontend, "reviews-v2", "reviews-v3", ejections::poll);
                    if (ejections.seen() == 0) {
                        out.step("outlier detection: the frontend's sidecar ejected no reviews-v3 endpoint this time");
                    }
                }

                Map<String, Long> served = load.perVersion();
                out.heading("Summary");
                boolean promoted = v2.result() == CanaryOutcome.Result.PROMOTED;
                boolean rolledBack = v3Outcome.result() == CanaryOutcome.Result.ROLLED_BACK;
                out.always((promoted ? "promoted reviews-v2: " : "reviews-v2 NOT promoted: ") + v2.reason());
                out.always((rolledBack ? "rolled back reviews-v3: " : "reviews-v3 NOT rolled back: ") + v3Outcome.reason());
                String entered = "";
                if (gateway != null) {
                    long counted = gateway.requestsServed();
                    entered = " through gateway " + GATEWAY + " (http://127.0.0.1:" + edge.httpPort() + ", Host: " + edge.host()
                            + "; the gateway's /stats: requests_total " + (counted < 0 ? "unreadable" : counted) + ")";
                }
                out.always("load: " + load.total() + " requests" + entered + ", per version of reviews " + served + ", "
                        + load.failures() + " failed");
                out.line("");
                out.line("Where to look next:");
                if (temporary && !keepRunning) {
                    out.line("  logs and config:           removed with " + work + " (keep them with --work-dir DIR)");
                } else {
                    out.line("  logs of every process:     " + work.resolve("logs"));
                    out.line("  the config it served:      " + config);
                }
                out.line("  run it and keep it up:     ./mesh demo --keep-running   (then the commands it prints)");
                out.line("  the tour:                  README.md");
                if (keepRunning) {
                    mesh.printAddresses(edge == null ? List.of() : edge.commands());
                    out.always("The mesh keeps running; press Ctrl-C to stop it.");
                    new CountDownLatch(1).await();
                }
                code = promoted && rolledBack ? 0 : 1;
            }
        }
        if (temporary && !keepRunning) {
            deleteTree(work);
        }
        return code;
    }

    /**
     * The demo's edge: the Gateway {@link #GATEWAY}'s first HTTP and HTTPS listeners (ports as the demo's copy moved
     * them), the host name of the route they serve, and its certificate written to {@code dir} for {@code curl --cacert}.
     */
    record Edge(int httpPort, int httpsPort, String host, String httpsHost, Path certificate) {

        /** Null when the config has no such Gateway (another --samples folder): the load then skips the edge. */
        static Edge of(MeshSnapshot snapshot, Path dir) throws IOException {
            var gateway = snapshot.gateways().served(io.meshwork.controlplane.model.ObjectRef.of(NAMESPACE, GATEWAY));
            if (gateway.isEmpty()) {
                return null;
            }
            io.meshwork.controlplane.model.Gateway.Listener http = null;
            io.meshwork.controlplane.model.Gateway.Listener https = null;
            for (var listener : gateway.get().listeners()) {
                if (listener.protocol() == io.meshwork.controlplane.model.Gateway.Protocol.HTTP && http == null) {
                    http = listener;
                } else if (listener.protocol() == io.meshwork.controlplane.model.Gateway.Protocol.HTTPS && https == null
                        && !listener.certificates().isEmpty()) {
                    https = listener;
                }
            }
            if (http == null || https == null) {
                return null;
            }
            String host = concreteHost(gateway.get(), http, snapshot);
            String httpsHost = concreteHost(gateway.get(), https, snapshot);
            var secret = snapshot.gateways().secrets().get(https.certificates().get(0));
            if (host == null || httpsHost == null || secret == null) {
                return null;
            }
            Path certificate = Files.createDirectories(dir).resolve(secret.ref().name() + ".crt");
            Files.writeString(certificate, secret.certificateChain());
            return new Edge(http.port(), https.port(), host, httpsHost, certificate);
        }

        /** The first host name without a wildcard under which a route attached to {@code listener} serves. */
        private static String concreteHost(io.meshwork.controlplane.model.Gateway gateway,
                io.meshwork.controlplane.model.Gateway.Listener listener, MeshSnapshot snapshot) {
            return io.meshwork.controlplane.model.GatewayAttachment.routes(gateway, listener, snapshot.httpRoutes().values())
                    .stream().flatMap(a -> a.hostnames().stream()).filter(h -> !h.contains("*")).findFirst().orElse(null);
        }

        /** What a user types to call the edge: plain HTTP with a Host header, and HTTPS trusting the demo certificate. */
        List<String> commands() {
            return List.of("curl -H 'Host: " + host + "' http://127.0.0.1:" + httpPort + "/",
                    "curl --resolve " + httpsHost + ":" + httpsPort + ":127.0.0.1 --cacert " + certificate + " https://"
                            + httpsHost + ":" + httpsPort + "/");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Says what mutual TLS the mesh runs, and shows it: plaintext straight to a STRICT workload's sidecar is refused,
     * while the steady load (frontend's sidecar to reviews, over mTLS) goes on.
     */
    private void showMutualTls(MeshSnapshot snapshot) throws IOException {
        out.step("mutual TLS: each sidecar got its certificate from the control plane's CA (e.g. "
                + DemoMesh.spiffeId(snapshot.workloads().values().stream().filter(Workload::meshed).findFirst().orElseThrow())
                + "); sidecar to sidecar is mTLS");
        for (Workload w : snapshot.workloads().values()) {
            int port = w.meshed() && !w.ports().isEmpty() ? w.ports().values().iterator().next() : -1;
            if (port > 0 && snapshot.mtlsModeOf(w, port) == io.meshwork.controlplane.model.PeerAuthentication.Mode.STRICT) {
                boolean answered = DemoMesh.answersPlaintext(w);
                String line = "plaintext straight to " + w.ref().name() + " (" + w.address() + ":" + port + ", STRICT): "
                        + (answered ? "ANSWERED" : "refused");
                if (answered) {
                    out.bad(line);
                } else {
                    out.ok(line);
                }
                return;
            }
        }
    }

    /** {@code beforeCheck} runs before each check's line is printed. */
    private CanaryOutcome promote(Path config, DemoMesh.Sidecar frontend, String primary, String canary,
            Runnable beforeCheck) throws Exception {
        CanaryPlan plan = new CanaryPlan("reviews", primary, canary, List.of(10, 25, 50, 100), interval, 99,
                Duration.ofMillis(500), 2);
        TrafficControl control = new SplitFileControl(config, NAMESPACE, "reviews");
        out.step("steps " + plan.steps() + ", interval " + interval.toSeconds() + "s, success rate >= 99%, p99 <= 500ms, threshold 2");
        CanaryOutcome outcome = new CanaryController(control, frontend.metrics(), d -> Thread.sleep(d.toMillis()))
                .promote(plan, r -> {
                    beforeCheck.run();
                    out.step(progressLine(r, plan));
                });
        if (outcome.result() == CanaryOutcome.Result.PROMOTED) {
            out.ok("promoted: " + outcome.reason());
        } else {
            out.bad(outcome.result().name().toLowerCase().replace('_', ' ') + ": " + outcome.reason());
        }
        return outcome;
    }

    private String progressLine(StepReport r, CanaryPlan plan) {
        String line = io.meshwork.cli.CanaryCommand.progressLine(r, plan);
        return switch (r.verdict()) {
            case PASSED -> line;
            case FAILED -> out.paint("31", line);
            case NO_TRAFFIC -> out.paint("33", line);
        };
    }

    private static void addBackend(Path config, String backend) throws IOException {
        new SplitFileControl(config, NAMESPACE, "reviews").update(now -> {
            Map<String, Long> weights = new LinkedHashMap<>(now.weights());
            weights.put(backend, 0L);
            return new SplitSnapshot(weights, now.status());
        });
    }

    private Path locateSamples() throws IOException {
        if (samples != null) {
            if (!Files.isDirectory(samples)) {
                throw new IllegalArgumentException("--samples " + samples + " does not exist or is not a folder");
            }
            return samples;
        }
        // ./mesh runs cli/target/mesh.jar from a checkout: samples/local sits two folders up.
        Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("samples").resolve("local");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        Path cwd = Path.of("samples", "local");
        if (Files.isDirectory(cwd)) {
            return cwd;
        }
        throw new IllegalArgumentException("cannot find samples/local next to " + jar + "; pass --samples DIR");
    }

}
