package io.meshwork.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.meshwork.controlplane.ControlPlane;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mesh proxy-status}: every connected proxy and, per xDS type, whether it runs what the control
 * plane last sent (SYNCED), has not yet ACKed it (STALE), or rejected it (NACKED), as istioctl does.
 */
@Command(name = "proxy-status", description = "Show each connected proxy's config state per xDS type (SYNCED, STALE, NACKED).")
final class ProxyStatusCommand implements Callable<Integer> {

    static final Map<String, String> TYPES = Map.of(
            "CDS", "type.googleapis.com/envoy.config.cluster.v3.Cluster",
            "LDS", "type.googleapis.com/envoy.config.listener.v3.Listener",
            "EDS", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
            "RDS", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration");

    @Option(names = "--control-plane", defaultValue = "http://127.0.0.1:15014", paramLabel = "URL",
            description = "Control plane admin URL (default: ${DEFAULT-VALUE}); with --kubeconfig, every control plane pod "
                    + "is asked through a port-forward.")
    URI controlPlane;

    @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or yaml; json and yaml are the control plane's /debug/proxies (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Mixin
    KubeOptions kube;

    @Override
    public Integer call() throws Exception {
        try (KubeOptions opened = kube) {
            return show();
        }
    }

    private int show() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<String> answers = new ArrayList<>();
        String where;
        String cluster = null; // on a cluster: its name in the mesh, the proxies' CLUSTER (as istioctl's)
        if (kube.onCluster()) {
            // every replica serves the proxies connected to it: ask each, through the API server's port-forward
            List<Pod> replicas = kube.controlPlanePods();
            for (Pod replica : replicas) {
                try (LocalPortForward forward = kube.forward(replica.getMetadata().getNamespace(), replica.getMetadata().getName(),
                        ControlPlane.Options.DEFAULT_ADMIN_PORT)) {
                    answers.add(SidecarMetrics.proxiesJson(KubeOptions.url(forward), http));
                }
            }
            where = "the control plane in cluster " + kube.clusterName() + " (" + replicas.size() + " replica"
                    + (replicas.size() == 1 ? ")" : "s)");
            cluster = kube.meshCluster(replicas);
        } else {
            answers.add(SidecarMetrics.proxiesJson(controlPlane, http));
            where = controlPlane.toString();
        }
        if (output != OutputFormat.table) {
            output.print(answers.size() == 1 ? answers.get(0) : merged(answers).toString());
            return 0;
        }
        List<Value> proxies = new ArrayList<>();
        for (String answer : answers) {
            proxies.addAll(SidecarMetrics.proxies(answer));
        }
        if (proxies.isEmpty()) {
            System.out.println("no proxies are connected to " + where);
            return 0;
        }
        List<String> columns = new ArrayList<>(List.of("NAME", "WORKLOAD", "CDS", "LDS", "EDS", "RDS", "CONNECTED FOR",
                "CERT EXPIRES"));
        if (cluster != null) {
            columns.add(2, "CLUSTER");
        }
        Table table = new Table(columns.toArray(String[]::new));
        for (Value v : proxies) {
            Struct p = v.getStructValue();
            List<String> row = new ArrayList<>(List.of(str(p, "id"), str(p, "namespace") + "/" + str(p, "workload"),
                    state(p, "CDS"), state(p, "LDS"), state(p, "EDS"), state(p, "RDS"), connectedFor(str(p, "connectedAt")),
                    certificateExpiry(p)));
            if (cluster != null) {
                row.add(2, cluster);
            }
            table.row(row.toArray(String[]::new));
        }
        table.print(System.out);
        for (Value v : proxies) {
            Struct nack = v.getStructValue().getFieldsOrDefault("lastNack", Value.getDefaultInstance()).getStructValue();
            if (nack.getFieldsCount() > 0) {
                System.out.println(str(v.getStructValue(), "id") + " rejected " + str(nack, "typeUrl") + " version "
                        + str(nack, "version") + ": " + str(nack, "message"));
            }
        }
        return 0;
    }

    /** The proxies of several replicas' answers, as one JSON array. */
    private static tools.jackson.databind.node.ArrayNode merged(List<String> answers) {
        tools.jackson.databind.node.ArrayNode all = OutputFormat.JSON.createArrayNode();
        for (String answer : answers) {
            tools.jackson.databind.JsonNode node = OutputFormat.JSON.readTree(answer);
            (node.isArray() ? node : node.path("proxies")).forEach(all::add);
        }
        return all;
    }

    /** When the certificate the CA last issued to this proxy's workload expires; "-" without one (plaintext). */
    private static String certificateExpiry(Struct proxy) {
        Struct certificate = proxy.getFieldsOrDefault("certificate", Value.getDefaultInstance()).getStructValue();
        return Ages.ofTimestamp(str(certificate, "notAfter"), Ages::until);
    }

    private static String connectedFor(String connectedAt) {
        return Ages.ofTimestamp(connectedAt, Ages::since);
    }

    /** SYNCED when the proxy ACKed what was last sent, NACKED when its last answer to it was a rejection, else STALE. */
    static String state(Struct proxy, String type) {
        String typeUrl = TYPES.get(type);
        String sent = str(proxy.getFieldsOrDefault("sent", Value.getDefaultInstance()).getStructValue(), typeUrl);
        String acked = str(proxy.getFieldsOrDefault("acked", Value.getDefaultInstance()).getStructValue(), typeUrl);
        Struct nack = proxy.getFieldsOrDefault("lastNack", Value.getDefaultInstance()).getStructValue();
        if (sent.isEmpty() && acked.isEmpty()) {
            return "NOT SENT";
        }
        if (!sent.isEmpty() && sent.equals(acked)) {
            return "SYNCED";
        }
        if (typeUrl.equals(str(nack, "typeUrl")) && sent.equals(str(nack, "version"))) {
            return "NACKED";
        }
        return "STALE";
    }

    static String str(Struct s, String key) {
        return s.getFieldsOrDefault(key, Value.getDefaultInstance()).getStringValue();
    }
}
