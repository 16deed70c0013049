package io.meshwork.proxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A local-mode config folder written the way users and ConfigMap mounts change it: each file
 * replaced whole by an atomic move, so the control plane's watcher never reads half a file.
 */
public final class MeshConfigFolder {

    private final Path dir;

    public MeshConfigFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Writes {@code name} (a {@code .yaml} file) through a hidden temporary file the loader ignores. */
    public MeshConfigFolder write(String name, String... documents) {
        Path temporary = dir.resolve("." + name + ".tmp");
        try {
            Files.writeString(temporary, String.join("---\n", documents), StandardCharsets.UTF_8);
            Files.move(temporary, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A Service with one named port, {@code targetPort} = that name, selecting {@code selector}. */
    public static String service(String name, int port, String appProtocol, Map<String, String> selector) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                  namespace: default
                spec:
                  selector:
                %s
                  ports:
                    - name: %s
                      port: %d
                      targetPort: %s
                      appProtocol: %s
                """.formatted(name, indented(selector, "    "), appProtocol, port, appProtocol, appProtocol);
    }

    /**
     * A Workload listening on loopback at {@code port} (named {@code portName}); unmeshed (no appPorts),
     * so the sidecar connects to it directly.
     */
    public static String workload(String name, Map<String, String> labels, String portName, int port) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata:
                  name: %s
                  namespace: default
                  labels:
                %s
                spec:
                  address: 127.0.0.1
                  ports:
                    %s: %d
                """.formatted(name, indented(labels, "    "), portName, port);
    }

    /**
     * A meshed Workload on loopback running as {@code serviceAccount}: its sidecar accepts on each of
     * {@code ports} and forwards to the application's port of the same name in {@code appPorts}.
     */
    public static String meshedWorkload(String name, Map<String, String> labels, String serviceAccount,
                                        Map<String, Integer> ports, Map<String, Integer> appPorts) {
        return workloadRunningAs(name, indented(labels, "    "), serviceAccount, ports)
                + "  appPorts:\n" + indented(appPorts, "    ") + "\n";
    }

    /**
     * A proxyless gRPC server (label {@code meshwork.io/proxyless: "true"}, no appPorts) on loopback at
     * {@code port}, running as {@code serviceAccount}: it serves that port itself, as its xDS Listener says.
     */
    public static String proxylessWorkload(String name, Map<String, String> labels, String serviceAccount,
                                           String portName, int port) {
        return workloadRunningAs(name, indented(labels, "    ") + "\n    meshwork.io/proxyless: \"true\"",
                serviceAccount, Map.of(portName, port));
    }

    private static String workloadRunningAs(String name, String labelLines, String serviceAccount,
                                            Map<String, Integer> ports) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata:
                  name: %s
                  namespace: default
                  labels:
                %s
                spec:
                  address: 127.0.0.1
                  serviceAccount: %s
                  ports:
                %s
                """.formatted(name, labelLines, serviceAccount, indented(ports, "    "));
    }

    /** A PeerAuthentication making the ports of the workloads labelled {@code app} STRICT. */
    public static String strictMtls(String app) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: %s
                  namespace: default
                spec:
                  selector:
                    matchLabels:
                      app: %s
                  mtls:
                    mode: STRICT
                """.formatted(app, app);
    }

    /**
     * An SMI TrafficTarget letting service account {@code source} call {@code destination}'s workloads (any
     * request; append {@code rules:} under {@code spec} for fewer), named {@code <destination>-from-<source>}.
     */
    public static String trafficTarget(String destination, String source) {
        return """
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata:
                  name: %s-from-%s
                  namespace: default
                spec:
                  destination:
                    kind: ServiceAccount
                    name: %s
                    namespace: default
                  sources:
                  - kind: ServiceAccount
                    name: %s
                    namespace: default
                """.formatted(destination, source, destination, source);
    }

    /** An SMI v1alpha4 TrafficSplit of {@code root} over backend services with integer weights. */
    public static String trafficSplit(String name, String root, Map<String, Integer> weights) {
        String backends = weights.entrySet().stream()
                .map(e -> "    - service: " + e.getKey() + "\n      weight: " + e.getValue())
                .collect(Collectors.joining("\n"));
        return """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata:
                  name: %s
                  namespace: default
                spec:
                  service: %s
                  backends:
                %s
                """.formatted(name, root, backends);
    }

    private static String indented(Map<String, ?> entries, String indent) {
        return entries.entrySet().stream().map(e -> indent + e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("\n"));
    }
}
