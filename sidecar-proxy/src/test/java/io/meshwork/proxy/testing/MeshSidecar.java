package io.meshwork.proxy.testing;

import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.identity.WorkloadCertificateSource;
import io.meshwork.proxy.xds.NodeIdentity;
import java.time.Duration;

/** A sidecar of a workload of namespace {@code default} with a mesh identity, in-process on loopback. */
public final class MeshSidecar {

    private MeshSidecar() {
    }

    /** Starts it against the xDS server on 127.0.0.1:{@code xdsPort} and waits for its first complete config. */
    public static SidecarProxy start(int xdsPort, String workload, String serviceAccount,
                                     WorkloadCertificateSource identity) throws InterruptedException {
        SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options("127.0.0.1:" + xdsPort,
                new NodeIdentity(workload, "default", serviceAccount, "test"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(1), 1, AppProbes.none(), identity)).start();
        Eventually.await(Duration.ofSeconds(15), workload + "'s first complete config",
                () -> sidecar.configStore().hasCompleteConfig() && sidecar.listenerPort("outbound") > 0);
        return sidecar;
    }
}
