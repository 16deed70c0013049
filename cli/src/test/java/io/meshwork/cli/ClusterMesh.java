package io.meshwork.cli;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.KubernetesMode;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.xds.NodeIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One cluster of a multi-cluster test mesh: its Kubernetes-mode control plane (reading the remote clusters too,
 * as {@code --remote-kubeconfig} does) and the real sidecars of its pods, each started with that control plane's
 * xDS address. Closing it stops the sidecars and the control plane.
 */
final class ClusterMesh implements AutoCloseable {

    private final ControlPlane controlPlane;
    private final List<SidecarProxy> sidecars = new ArrayList<>();

    private ClusterMesh(ControlPlane controlPlane) {
        this.controlPlane = controlPlane;
    }

    /**
     * Starts cluster {@code name}'s control plane on {@code cluster}, reading {@code remotes} (by cluster name) too;
     * with {@code trust} it pushes those roots (its CA's), without it the mesh is plaintext.
     */
    static ClusterMesh start(String name, TestCluster cluster, Map<String, TestCluster> remotes, TrustBundle trust)
            throws Exception {
        RemoteClusters readers = new RemoteClusters(name, RemoteClusters.DEFAULT_STALE_AFTER);
        remotes.forEach((remote, c) -> readers.add(remote, c.newClient(), "test"));
        ControlPlane controlPlane = KubernetesMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0),
                cluster.newClient(), new KubernetesMode.LeaderElection("meshwork-system", "meshwork-control-plane",
                        "cp-" + name, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2)), List.of(),
                name, readers);
        if (trust != null) {
            controlPlane.trust(trust);
        }
        return new ClusterMesh(controlPlane.start());
    }

    /** The sidecar of pod {@code pod} (service account {@code serviceAccount}), once its outbound listener is bound. */
    SidecarProxy sidecar(String pod, String serviceAccount, WorkloadCertificateSource identity) throws InterruptedException {
        SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + controlPlane.xdsPort(),
                new NodeIdentity(pod, "default", serviceAccount, pod), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(5), 1, AppProbes.none(), identity)).start();
        sidecars.add(sidecar);
        await("the outbound listener of " + pod, () -> sidecar.listenerPort("outbound") > 0);
        return sidecar;
    }

    /** Waits up to 20 s for {@code condition}, failing with {@code what}. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws Exception {
        try (controlPlane) {
            for (SidecarProxy sidecar : sidecars) {
                sidecar.close();
            }
        }
    }
}
