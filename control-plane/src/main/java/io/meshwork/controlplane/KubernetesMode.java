package io.meshwork.controlplane;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshwork.controlplane.canary.kubernetes.CanaryOperator;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.xds.AdsServer;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.concurrent.Executors;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The control plane of Kubernetes mode: one cluster read through informers, translated as local mode is. */
public final class KubernetesMode {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesMode.class);

    private KubernetesMode() {
    }

    /**
     * Which replica writes: the holder of a {@code coordination.k8s.io} Lease. Every replica serves xDS.
     *
     * @param namespace where the Lease lives (the control plane's own namespace)
     * @param identity this replica's name in the Lease (its pod name)
     */
    public record LeaderElection(String namespace, String lease, String identity, Duration leaseDuration,
                                 Duration renewDeadline, Duration retryPeriod) {

        /** In a pod: its namespace and name (POD_NAMESPACE, POD_NAME or HOSTNAME); Kubernetes' usual 15/10/2 s timings. */
        public static LeaderElection fromEnvironment() {
            String namespace = envOr("POD_NAMESPACE", "meshwork-system");
            String identity = envOr("POD_NAME", envOr("HOSTNAME", "control-plane-" + UUID.randomUUID()));
            return new LeaderElection(namespace, "meshwork-control-plane", identity, Duration.ofSeconds(15),
                    Duration.ofSeconds(10), Duration.ofSeconds(2));
        }

        private static String envOr(String name, String fallback) {
            String value = System.getenv(name);
            return value == null || value.isBlank() ? fallback : value;
        }
    }

    /** A control plane serving what {@code client}'s cluster holds; closing it closes the client. */
    public static ControlPlane controlPlane(ControlPlane.Options options, KubernetesClient client) {
        return controlPlane(options, client, LeaderElection.fromEnvironment());
    }

    /**
     * As above, writing Events and running {@code Canary} objects ({@link CanaryOperator}) only while it
     * holds the Lease of {@code election}.
     */
    public static ControlPlane controlPlane(ControlPlane.Options options, KubernetesClient client, LeaderElection election) {
        return controlPlane(options, client, election, List.of());
    }

    /**
     * As above, also telling each of {@code leaderDuties} when this replica starts and stops leading (for
     * example the root certificate ConfigMaps, which only the leader writes).
     */
    public static ControlPlane controlPlane(ControlPlane.Options options, KubernetesClient client, LeaderElection election,
                                            List<Consumer<Boolean>> leaderDuties) {
        return controlPlane(options, client, election, leaderDuties, "", null);
    }

    /**
     * As above, as cluster {@code cluster} of a multi-cluster mesh whose other clusters' Services and endpoints
     * {@code remotes} reads (null: one cluster); {@code /debug/clusters} shows the remotes' state.
     */
    public static ControlPlane controlPlane(ControlPlane.Options options, KubernetesClient client, LeaderElection election,
                                            List<Consumer<Boolean>> leaderDuties, String cluster, RemoteClusters remotes) {
        KubernetesSource source = KubernetesSource.follower(client).withClusters(cluster, remotes);
        CanaryOperator canaries = new CanaryOperator(client, source::pods, d -> Thread.sleep(d.toMillis()),
                election.identity());
        ExecutorService electing = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "meshwork-leader-election");
            thread.setDaemon(true);
            return thread;
        });
        LeaderElectionConfig config = new LeaderElectionConfigBuilder()
                .withName(election.lease())
                .withLock(new LeaseLock(election.namespace(), election.lease(), election.identity()))
                .withLeaseDuration(election.leaseDuration())
                .withRenewDeadline(election.renewDeadline())
                .withRetryPeriod(election.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(
                        () -> {
                            LOG.info("leading as {} (Lease {}/{}): recording Events, running Canaries, writing root ConfigMaps",
                                    election.identity(), election.namespace(), election.lease());
                            source.leading(true);
                            canaries.leading(true);
                            leaderDuties.forEach(duty -> duty.accept(true));
                        },
                        () -> {
                            LOG.info("no longer leading as {}", election.identity());
                            source.leading(false);
                            canaries.leading(false);
                            leaderDuties.forEach(duty -> duty.accept(false));
                        },
                        leader -> LOG.info("leader is {}", leader)))
                .build();
        MeshSnapshotSource closingClient = new MeshSnapshotSource() {
            private CompletableFuture<?> leadership;

            @Override
            public void start(java.util.function.Consumer<io.meshwork.controlplane.model.MeshSnapshot> snapshots,
                              Runnable configErrors) throws Exception {
                source.start(snapshots, configErrors);
                canaries.start();
                leadership = new LeaderElector(client, config, electing).start();
            }

            @Override
            public boolean healthy() {
                return source.healthy();
            }

            @Override
            public void close() {
                try (client) {
                    if (leadership != null) {
                        leadership.cancel(true); // releases the Lease, so another replica leads at once
                    }
                    electing.shutdownNow();
                    canaries.close();
                    source.close();
                }
            }
        };
        ControlPlane controlPlane = new ControlPlane(options, closingClient, LocalMode.translation());
        // Gateways' configs hold private keys read from Secrets: served on the CA's port to their own account only.
        controlPlane.ads().refusePlaintextGateways();
        gatewayStatus(source, controlPlane.ads());
        if (remotes != null) {
            controlPlane.debugClusters(remotes::statusJson);
        }
        return controlPlane;
    }

    /**
     * Gives the Gateways' {@code Programmed} status the xDS server's view of their {@code mesh gateway} proxies (node
     * group {@code gateway/<namespace>/<name>}), and writes it again whenever that view changes.
     */
    static void gatewayStatus(KubernetesSource source, AdsServer ads) {
        source.gatewayProgramming(gateway -> {
            AdsServer.GroupProgramming state = ads.programming(ProxyNode.gatewayGroup(gateway));
            return new KubernetesSource.GatewayProgramming(state.connected(), state.acked(), state.refused());
        });
        ads.onGroupChange(group -> {
            if (group.startsWith(ProxyNode.GATEWAY_GROUPS)) {
                source.refresh();
            }
        });
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
