package io.meshwork.cli;

import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.controlplane.source.kubernetes.RemoteClusters;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mesh analyze}: validates a local config folder without serving it, or, with {@code --kubeconfig}, a
 * cluster's objects as its control plane reads them (with the remote clusters of its multi-cluster Secrets), as
 * {@code istioctl analyze} does.
 */
@Command(name = "analyze", description = "Check a config folder, or a cluster (--kubeconfig/--context) with the remote "
        + "clusters its Secrets name, without serving it: every problem with its object and field.")
final class AnalyzeCommand implements Callable<Integer> {

    /** How long the remote clusters may take to list what they hold. */
    private static final Duration REMOTE_SYNC = Duration.ofSeconds(20);

    @Mixin
    KubeOptions kube;

    @Option(names = "--config-dir", paramLabel = "DIR",
            description = "The folder to check (default: the running demo's, when `mesh demo` runs).")
    Path configDir;

    @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or yaml: counts and every problem with its severity (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    public Integer call() throws Exception {
        if (kube.onCluster()) {
            if (configDir != null) {
                throw new IllegalArgumentException("--config-dir and --kubeconfig/--context: check a folder or a cluster, "
                        + "not both");
            }
            try (KubeOptions opened = kube) {
                return analyzeCluster();
            }
        }
        if (configDir == null) {
            throw new IllegalArgumentException("--config-dir DIR: which folder to check? (no `mesh demo` is running to take "
                    + "its folder from)");
        }
        if (!Files.isDirectory(configDir)) {
            throw new IllegalArgumentException("config dir " + configDir + " does not exist or is not a folder");
        }
        LoadResult result = new LocalConfigLoader().load(configDir);
        return report("configDir", configDir.toString(), result.snapshot(), result.problems(), ConfigProblem::toString);
    }

    /**
     * Reads the cluster as its control plane does (a follower: it writes nothing), with the remote clusters named by
     * the labelled kubeconfig Secrets in {@code meshwork-system}, and reports what the last rebuild found.
     */
    private int analyzeCluster() throws Exception {
        String cluster = kube.meshCluster();
        RemoteClusters remotes = new RemoteClusters(cluster, RemoteClusters.DEFAULT_STALE_AFTER);
        AtomicReference<MeshSnapshot> snapshot = new AtomicReference<>();
        try (KubernetesSource source = KubernetesSource.follower(kube.client()).withClusters(cluster, remotes)) {
            source.start(snapshot::set, () -> { });
            int secrets = kube.client().secrets().inNamespace(KubeOptions.SYSTEM_NAMESPACE)
                    .withLabel(RemoteClusters.SECRET_LABEL, "true").list().getItems().size();
            remotes.watchSecrets(kube.client(), KubeOptions.SYSTEM_NAMESPACE);
            long deadline = System.nanoTime() + REMOTE_SYNC.toNanos();
            while ((remotes.secretsRead() < secrets || remotes.status().stream().anyMatch(r -> r.state().equals("syncing")))
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            for (RemoteClusters.Status remote : remotes.status()) {
                if (!remote.state().equals("synced")) {
                    System.err.printf("warning: remote cluster %s (%s) did not answer within %d s; analyzed without it%n",
                            remote.name(), remote.origin(), REMOTE_SYNC.toSeconds());
                }
            }
            long before = source.rebuilds();
            source.refresh(); // with every remote's objects now
            while (source.rebuilds() == before && System.nanoTime() < deadline + REMOTE_SYNC.toNanos()) {
                Thread.sleep(20);
            }
            String where = "cluster " + kube.clusterName() + (remotes.status().isEmpty() ? ""
                    : " with " + remotes.status().stream().map(RemoteClusters.Status::name).toList());
            return report("cluster", where, snapshot.get(), source.problems(), ConfigProblem::withoutLocation);
        }
    }

    /** Prints the problems and the counts (or the JSON/YAML of both); exit 0 without errors, 3 with. */
    private int report(String whereField, String where, MeshSnapshot s, List<ConfigProblem> loaded,
                       Function<ConfigProblem, String> located) {
        List<ConfigProblem> problems = new java.util.ArrayList<>(loaded);
        problems.addAll(othersGateways(s));
        Function<ConfigProblem, String> line = p -> "".equals(p.file()) ? p.withoutLocation() : located.apply(p);
        int errors = (int) problems.stream().filter(p -> p.severity() == ConfigProblem.Severity.ERROR).count();
        int warnings = problems.size() - errors;
        if (output != OutputFormat.table) {
            tools.jackson.databind.node.ObjectNode node = OutputFormat.JSON.createObjectNode();
            node.put(whereField, where);
            node.put("services", s.services().size());
            node.put("workloads", s.workloads().size());
            node.put("trafficSplits", s.splits().size());
            node.put("routeGroups", s.routeGroups().size());
            node.put("httpRoutes", s.httpRoutes().size());
            node.put("grpcRoutes", s.grpcRoutes().size());
            node.put("gateways", s.gateways().gateways().size());
            node.put("errors", errors);
            node.put("warnings", warnings);
            tools.jackson.databind.node.ArrayNode list = node.putArray("problems");
            for (ConfigProblem problem : problems) {
                list.addObject().put("severity", problem.severity() == ConfigProblem.Severity.ERROR ? "error" : "warning")
                        .put("message", line.apply(problem));
            }
            output.print(node);
            return errors == 0 ? 0 : 3;
        }
        for (ConfigProblem problem : problems) {
            System.out.println((problem.severity() == ConfigProblem.Severity.ERROR ? "Error   " : "Warning ") + line.apply(problem));
        }
        System.out.printf("%s: %s, %s, %s, %s, %s%s%s; %s, %s%n", where, count(s.services().size(), "service"),
                count(s.workloads().size(), "workload"), count(s.splits().size(), "traffic split"),
                count(s.routeGroups().size(), "route group"), count(s.httpRoutes().size(), "HTTP route"),
                s.grpcRoutes().isEmpty() ? "" : ", " + count(s.grpcRoutes().size(), "gRPC route"),
                s.gateways().gateways().isEmpty() ? "" : ", " + count(s.gateways().gateways().size(), "gateway"),
                count(errors, "error"), count(warnings, "warning"));
        return errors == 0 ? 0 : 3;
    }

    /**
     * A Gateway whose GatewayClass is another controller's: not a problem for the control plane (it leaves it to that
     * implementation, and says nothing), but a user asking what Meshwork serves is told, one line each. A class that
     * does not exist, a missing certificate or a route no listener takes are the loader's warnings already.
     */
    private static List<ConfigProblem> othersGateways(MeshSnapshot s) {
        List<ConfigProblem> lines = new java.util.ArrayList<>();
        for (io.meshwork.controlplane.model.Gateway gateway : s.gateways().gateways().values()) {
            var gatewayClass = s.gateways().classes().get(gateway.className());
            if (gatewayClass != null && !s.gateways().ours(gateway)) {
                lines.add(new ConfigProblem(ConfigProblem.Severity.WARNING, "", 0, 0, "Gateway", gateway.ref(),
                        "spec.gatewayClassName", "GatewayClass \"" + gateway.className() + "\" is controller "
                        + gatewayClass.controllerName() + "'s, not Meshwork's (" + Gateways.CONTROLLER
                        + "): no mesh gateway serves this Gateway"));
            }
        }
        return lines;
    }

    /** "1 route group", "2 route groups". */
    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
