package io.meshwork.cli.demo;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.meshwork.controlplane.canary.SidecarScrape;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Watches one sidecar's outlier detection as {@code mesh proxy-config W endpoints} reads it (the admin's
 * {@code /config_summary}, an endpoint's {@code ejected_ms}) and says each ejection of an endpoint of
 * {@code service} once, when first seen. {@link #poll} is called every quarter second by its thread and by the demo
 * before each canary check is printed, so an ejection always shows before the check (and rollback) that followed it.
 */
final class EjectionWatch implements AutoCloseable {

    private static final long PERIOD_MS = 250;

    private final HttpClient http = SidecarScrape.newClient();
    private final URI summary;
    private final String sidecar;
    private final String service;
    private final Consumer<String> say;
    private final Set<String> ejected = new HashSet<>();
    private final Thread thread;
    private int seen;

    EjectionWatch(DemoMesh.Sidecar via, String service, Consumer<String> say) {
        this.summary = URI.create("http://127.0.0.1:" + via.adminPort() + "/config_summary");
        this.sidecar = via.workload().ref().name();
        this.service = service;
        this.say = say;
        this.thread = new Thread(this::loop, "demo-ejection-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Ejections seen so far. */
    synchronized int seen() {
        return seen;
    }

    /** Reads the sidecar's endpoints once and says each endpoint of the service newly ejected. */
    synchronized void poll() {
        Struct dump;
        try {
            Struct.Builder b = Struct.newBuilder();
            JsonFormat.parser().ignoringUnknownFields().merge(SidecarScrape.get(http, summary), b);
            dump = b.build();
        } catch (IOException e) {
            return; // the next poll tries again; a sidecar that went away ends the demo elsewhere
        }
        for (Value c : list(dump, "clusters")) {
            Struct cluster = c.getStructValue();
            String clusterService = cluster.getFieldsOrDefault("service", Value.getDefaultInstance()).getStringValue();
            if (!clusterService.equals(service) && !clusterService.startsWith(service + ".")) {
                continue;
            }
            for (Value e : list(cluster, "endpoints")) {
                Struct endpoint = e.getStructValue();
                String address = endpoint.getFieldsOrDefault("address", Value.getDefaultInstance()).getStringValue();
                double ms = endpoint.getFieldsOrDefault("ejected_ms", Value.getDefaultInstance()).getNumberValue();
                if (ms <= 0) {
                    ejected.remove(address);
                } else if (ejected.add(address)) {
                    seen++;
                    say.accept(String.format("outlier detection: %s's sidecar ejected %s (%s) from %s for %.0fs "
                                    + "(errors in a row; `mesh proxy-config %s endpoints` shows it EJECTED)", sidecar,
                            endpoint.getFieldsOrDefault("workload", Value.getDefaultInstance()).getStringValue(), address,
                            service, Math.ceil(ms / 1000), sidecar));
                }
            }
        }
    }

    private void loop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                poll();
                Thread.sleep(PERIOD_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.List<Value> list(Struct s, String key) {
        return s.getFieldsOrDefault(key, Value.getDefaultInstance()).getListValue().getValuesList();
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join(2000);
    }
}
