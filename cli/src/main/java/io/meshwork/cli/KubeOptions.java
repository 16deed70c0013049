package io.meshwork.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.meshwork.controlplane.KubernetesMode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --kubeconfig}/{@code --context}: commands that act on a cluster (Kubernetes mode) instead of a
 * local mesh. Reaches what listens inside pods (the control plane's admin port, a sidecar's admin port)
 * through the API server's port-forward, as istioctl does. Close it when done.
 */
final class KubeOptions implements AutoCloseable {

    /** Where {@code mesh install} puts the control plane (its pods, of every revision, labelled MeshNames.COMPONENT_LABEL). */
    static final String SYSTEM_NAMESPACE = io.meshwork.injector.MeshNames.SYSTEM_NAMESPACE;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Act on the cluster of this kubeconfig (Kubernetes "
            + "mode) instead of a local mesh.")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "CONTEXT", description = "kubeconfig context (Kubernetes mode; default: the "
            + "file's current context; alone, it picks from $KUBECONFIG or ~/.kube/config).")
    String context;

    private KubernetesClient client;

    /** Whether the command acts on a cluster. */
    boolean onCluster() {
        return kubeconfig != null || context != null;
    }

    /** The cluster's client. */
    KubernetesClient client() throws IOException {
        if (kubeconfig != null && !Files.isReadable(kubeconfig)) {
            throw new IllegalArgumentException("--kubeconfig " + kubeconfig + ": no such readable file");
        }
        if (client == null) {
            client = KubernetesMode.client(kubeconfig, context);
            var current = client.getConfiguration().getCurrentContext();
            if (context != null && (current == null || !context.equals(current.getName()))) {
                List<String> known = client.getConfiguration().getContexts() == null ? List.of()
                        : client.getConfiguration().getContexts().stream().map(c -> c.getName()).toList();
                close();
                throw new IllegalArgumentException("--context " + context + ": no such context in "
                        + (kubeconfig != null ? kubeconfig : "$KUBECONFIG or ~/.kube/config")
                        + (known.isEmpty() ? " (it has none)" : " (contexts: " + String.join(", ", known) + ")"));
            }
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

    /** The cluster's name in the mesh: its control plane's {@code --cluster}, else {@link #clusterName()}. */
    String meshCluster() throws IOException {
        return meshCluster(labelledControlPlanes());
    }

    /** As {@link #meshCluster()}, from control plane pods already listed. */
    String meshCluster(List<Pod> controlPlanes) throws IOException {
        for (Pod pod : controlPlanes) {
            if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
                continue;
            }
            for (io.fabric8.kubernetes.api.model.Container container : pod.getSpec().getContainers()) {
                List<String> args = container.getArgs() == null ? List.of() : container.getArgs();
                int at = args.indexOf("--cluster");
                if (at >= 0 && at + 1 < args.size()) {
                    return args.get(at + 1);
                }
            }
        }
        return clusterName();
    }

    /** The pods labelled as control planes (of every revision), whatever their phase. */
    private List<Pod> labelledControlPlanes() throws IOException {
        return client().pods().inNamespace(SYSTEM_NAMESPACE).withLabel(io.meshwork.injector.MeshNames.COMPONENT_LABEL,
                io.meshwork.injector.MeshNames.CONTROL_PLANE_COMPONENT).list().getItems();
    }

    /** A local port forwarded to {@code port} of pod {@code namespace/pod}; close it when done. */
    LocalPortForward forward(String namespace, String pod, int port) throws IOException {
        if (client().pods().inNamespace(namespace).withName(pod).get() == null) {
            throw new IllegalArgumentException("no pod " + namespace + "/" + pod + " in cluster " + clusterName());
        }
        return client().pods().inNamespace(namespace).withName(pod).portForward(port);
    }

    /** The URL of a forwarded port. */
    static URI url(LocalPortForward forward) {
        return URI.create("http://127.0.0.1:" + forward.getLocalPort());
    }

    /** The running control plane pods ({@code mesh install}'s), each serving the proxies connected to it. */
    List<Pod> controlPlanePods() throws IOException {
        List<Pod> pods = labelledControlPlanes().stream()
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).toList();
        if (pods.isEmpty()) {
            throw new IllegalArgumentException("no running control plane pod (label "
                    + io.meshwork.injector.MeshNames.COMPONENT_LABEL + "="
                    + io.meshwork.injector.MeshNames.CONTROL_PLANE_COMPONENT + ") in "
                    + "namespace " + SYSTEM_NAMESPACE + " of cluster " + clusterName() + "; is Meshwork installed "
                    + "(mesh install | kubectl apply -f -)?");
        }
        return pods;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
