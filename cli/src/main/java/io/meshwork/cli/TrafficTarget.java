package io.meshwork.cli;

import io.meshwork.controlplane.canary.SplitControl;
import io.meshwork.controlplane.canary.kubernetes.ClusterSplitControl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where traffic commands act: a local config folder, or with {@code --kubeconfig}/{@code --context} a
 * cluster in Kubernetes mode. Shared by {@code mesh split} and {@code mesh canary}; close it when done
 * (it may hold a Kubernetes client).
 */
final class TrafficTarget implements AutoCloseable {

    @Option(names = "--config-dir", paramLabel = "DIR",
            description = "Local-mode config folder the control plane serves (default: $MESH_CONFIG_DIR, else the running "
                    + "demo's).")
    Path configDir;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Mixin
    KubeOptions kube;

    /** {@code service}'s default TrafficSplit: in the cluster, or in the config folder under its lock. */
    SplitControl control(String service) throws IOException {
        if (kube.onCluster()) {
            return new ClusterSplitControl(kube.client(), kube.clusterName(), namespace, service);
        }
        if (configDir == null) {
            throw new IllegalArgumentException("--config-dir DIR: which config folder? (MESH_CONFIG_DIR is not set and no "
                    + "`mesh demo` is running to take its folder from; for a cluster give --kubeconfig)");
        }
        if (!Files.isDirectory(configDir)) {
            throw new IllegalArgumentException("config dir " + configDir + " does not exist or is not a folder");
        }
        return new SplitFileControl(configDir, namespace, service);
    }

    @Override
    public void close() {
        kube.close();
    }
}
