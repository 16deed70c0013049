package io.meshwork.cli;

import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where traffic commands act: a local config folder now; a Kubernetes cluster once Kubernetes mode
 * exists. Shared by {@code mesh split} and {@code mesh canary}.
 */
final class TrafficTarget {

    @Option(names = "--config-dir", paramLabel = "DIR",
            description = "Local-mode config folder the control plane serves (default: $MESH_CONFIG_DIR, else the running "
                    + "demo's).")
    Path configDir;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Act on a cluster (Kubernetes mode).")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "CONTEXT", description = "kubeconfig context (Kubernetes mode).")
    String context;

    /** The default TrafficSplit of {@code service}, or a one-line error that says what is missing. */
    TrafficSplitFiles.Location split(String service) throws IOException {
        return control(service).location();
    }

    private void requireLocalFolder() {
        if (kubeconfig != null || context != null) {
            throw new IllegalArgumentException(
                    "Kubernetes mode is not available in this version; use --config-dir with a local config folder");
        }
        if (configDir == null) {
            throw new IllegalArgumentException("--config-dir DIR: which config folder? (MESH_CONFIG_DIR is not set and no "
                    + "`mesh demo` is running to take its folder from)");
        }
        if (!Files.isDirectory(configDir)) {
            throw new IllegalArgumentException("config dir " + configDir + " does not exist or is not a folder");
        }
    }

    /** {@code service}'s split, read and changed in the config folder under its lock. */
    SplitFileControl control(String service) {
        requireLocalFolder();
        return new SplitFileControl(configDir, namespace, service);
    }
}
