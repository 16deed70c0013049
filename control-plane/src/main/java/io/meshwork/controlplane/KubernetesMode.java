package io.meshwork.controlplane;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The control plane of Kubernetes mode: one cluster read through informers, translated as local mode is. */
public final class KubernetesMode {

    private KubernetesMode() {
    }

    /** A control plane serving what {@code client}'s cluster holds; closing it closes the client. */
    public static ControlPlane controlPlane(ControlPlane.Options options, KubernetesClient client) {
        KubernetesSource source = new KubernetesSource(client);
        MeshSnapshotSource closingClient = new MeshSnapshotSource() {
            @Override
            public void start(java.util.function.Consumer<io.meshwork.controlplane.model.MeshSnapshot> snapshots,
                              Runnable configErrors) throws Exception {
                source.start(snapshots, configErrors);
            }

            @Override
            public boolean healthy() {
                return source.healthy();
            }

            @Override
            public void close() {
                try (client) {
                    source.close();
                }
            }
        };
        return new ControlPlane(options, closingClient, LocalMode.translation());
    }

    /**
     * A client for {@code kubeconfig} (null: {@code $KUBECONFIG} or {@code ~/.kube/config}, else the pod's
     * in-cluster config) and {@code context} (null: the file's current context).
     */
    public static KubernetesClient client(Path kubeconfig, String context) throws IOException {
        Config config = kubeconfig == null
                ? Config.autoConfigure(context)
                : Config.fromKubeconfig(context, Files.readString(kubeconfig, StandardCharsets.UTF_8), kubeconfig.toString());
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
