package io.meshwork.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.canary.SplitControl;
import io.meshwork.controlplane.canary.kubernetes.ClusterSplitControl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Act on the cluster of this kubeconfig (Kubernetes "
            + "mode) instead of a config folder.")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "CONTEXT", description = "kubeconfig context (Kubernetes mode; default: the "
            + "file's current context; alone, it picks from $KUBECONFIG or ~/.kube/config).")
    String context;

    private KubernetesClient client;

    /** Whether the commands act on a cluster. */
    boolean onCluster() {
        return kubeconfig != null || context != null;
    }

    /** {@code service}'s default TrafficSplit: in the cluster, or in the config folder under its lock. */
    SplitControl control(String service) throws IOException {
        if (onCluster()) {
            return new ClusterSplitControl(client(), clusterName(), namespace, service);
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

    /** The cluster's client (Kubernetes mode only). */
    KubernetesClient client() throws IOException {
        if (kubeconfig != null && !Files.isReadable(kubeconfig)) {
            throw new IllegalArgumentException("--kubeconfig " + kubeconfig + ": no such readable file");
        }
        if (client == null) {
            client = KubernetesMode.client(kubeconfig, context);
        }
        return client;
    }

    /** How the cluster is named in messages: the context, else the API server's URL. */
    String clusterName() throws IOException {
        if (context != null) {
            return context;
        }
        var current = client().getConfiguration().getCurrentContext();
        return current != null ? current.getName() : client().getMasterUrl().toString();
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
