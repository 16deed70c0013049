package io.meshwork.cli.demo;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The demo's mesh for tests, as {@code mesh demo} starts it: samples/local plus reviews-v3 (failing a fifth of its
 * requests) on free ports, every sidecar with a certificate, reviews v1 at 100%, the canaries warmed up, and a
 * steady load from the frontend's sidecar to reviews.
 */
record SampleMesh(Path config, DemoMesh mesh, LoadGenerator load) implements AutoCloseable {

    static SampleMesh start(Path work) throws Exception {
        Path samples = Path.of("..", "samples");
        Path v3 = samples.resolve("local-extra").resolve("reviews-v3.yaml");
        LoopbackPorts ports = new LoopbackPorts();
        DemoConfig demoConfig = new DemoConfig(ports);
        demoConfig.plan(List.of(samples.resolve("local"), v3));
        Path config = demoConfig.copy(samples.resolve("local"), work.resolve("config"));
        demoConfig.copy(v3, config);
        DemoMesh mesh = new DemoMesh(config, work.resolve("logs"), new Printer(System.out, false, false), ports);
        mesh.startControlPlane();
        var snapshot = new LocalConfigLoader().load(config).snapshot();
        for (Workload w : snapshot.workloads().values()) {
            if (w.meshed() && !w.ref().name().equals("frontend-1")) {
                mesh.startWorkload(w, w.version().equals("v3") ? 0.2 : 0);
            }
        }
        mesh.startWorkload(snapshot.workloads().get(ObjectRef.of("default", "frontend-1")), 0);
        setWeights(config, Map.of("reviews-v1", 100L, "reviews-v2", 0L, "reviews-v3", 0L));
        for (String canary : List.of("reviews-v2", "reviews-v3")) {
            DemoMesh.warmUp(mesh.sidecarOf("frontend"), canary, 9080, 50);
        }
        LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", mesh.sidecarOf("frontend").outboundPort()),
                URI.create("http://reviews:9080/"), 4, Duration.ofMillis(10));
        load.start();
        return new SampleMesh(config, mesh, load);
    }

    Map<String, Long> weights() throws IOException {
        return new TrafficSplitFiles(config).find("default", "reviews").orElseThrow().weights();
    }

    static void setWeights(Path config, Map<String, Long> weights) throws IOException {
        TrafficSplitFiles files = new TrafficSplitFiles(config);
        TrafficSplitFiles.Location split = files.find("default", "reviews").orElseThrow();
        TrafficSplitFiles.replaceAtomically(split.file(), files.rewrite(split, weights, null));
    }

    @Override
    public void close() throws Exception {
        load.close();
        mesh.close();
    }
}
