package io.meshwork.controlplane.source.local;

import java.util.Map;
import java.util.TreeMap;

/** Small YAML documents for tests, in the shapes users write. */
final class Manifests {

    private Manifests() {
    }

    /** A Service in {@code default} selecting {@code app} (and {@code version} when not null), one port named http. */
    static String service(String name, String app, String version, int port) {
        String selector = "app: " + app + (version == null ? "" : "\n    version: " + version);
        return service(name, selector, "  - name: http\n    port: " + port + "\n");
    }

    /** A Service in {@code default} selecting {@code app: <name>}, with {@code portsYaml} as its list of ports. */
    static String serviceWithPorts(String name, String portsYaml) {
        return service(name, "app: " + name, portsYaml);
    }

    private static String service(String name, String selector, String portsYaml) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                spec:
                  selector:
                    %s
                  ports:
                """.formatted(name, selector) + portsYaml;
    }

    /** An unmeshed Workload in {@code default} with port {@code http}. */
    static String workload(String name, String app, String version, String address, int port) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata:
                  name: %s
                  labels:
                    app: %s
                    version: %s
                spec:
                  address: %s
                  ports:
                    http: %d
                """.formatted(name, app, version, address, port);
    }

    /** A v1alpha4 TrafficSplit in {@code default}; {@code backends} alternate service name and weight. */
    static String split(String name, String root, Object... backends) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata:
                  name: %s
                spec:
                  service: %s
                  backends:
                """.formatted(name, root));
        for (int i = 0; i < backends.length; i += 2) {
            yaml.append("  - service: ").append(backends[i]).append("\n    weight: ").append(backends[i + 1]).append('\n');
        }
        return yaml.toString();
    }

    /** Documents joined into one multi-document file. */
    static String docs(String... documents) {
        return String.join("---\n", documents);
    }

    /** reviews (root, port 9080), reviews-v1 and reviews-v2 with one workload each. */
    static String reviews() {
        return docs(service("reviews", "reviews", null, 9080),
                service("reviews-v1", "reviews", "v1", 9080),
                service("reviews-v2", "reviews", "v2", 9080),
                workload("reviews-v1-a", "reviews", "v1", "127.0.0.11", 9080),
                workload("reviews-v2-a", "reviews", "v2", "127.0.0.12", 9080));
    }

    /** A mutable file set, for tests that load several times. */
    static Map<String, String> files(String... nameThenText) {
        Map<String, String> files = new TreeMap<>();
        for (int i = 0; i < nameThenText.length; i += 2) {
            files.put(nameThenText[i], nameThenText[i + 1]);
        }
        return files;
    }
}
