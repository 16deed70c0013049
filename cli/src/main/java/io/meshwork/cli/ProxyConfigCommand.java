package io.meshwork.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import tools.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import io.fabric8.kubernetes.client.LocalPortForward;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mesh proxy-config WORKLOAD [listeners|routes|clusters|endpoints|secrets]}: the config a sidecar runs. Tables come
 * from its {@code /config_summary} (listeners with where they are bound) and {@code /config_dump}'s secrets; {@code -o json}
 * and {@code -o yaml} print its {@code /config_dump}, Envoy's own {@code ConfigDump} of the xDS resources as they came
 * (as {@code istioctl proxy-config -o json} does), or that section's part of it.
 */
@Command(name = "proxy-config", description = "Show the listeners, routes, clusters, endpoints or secrets a workload's sidecar runs.")
final class ProxyConfigCommand implements Callable<Integer> {

    enum Section { all, listeners, routes, clusters, endpoints, secrets }

    /** The {@code ConfigDump} entry of each section, by the end of its {@code @type}. */
    private static final Map<Section, String> DUMP_TYPES = Map.of(Section.listeners, ".ListenersConfigDump",
            Section.routes, ".RoutesConfigDump", Section.clusters, ".ClustersConfigDump",
            Section.endpoints, ".EndpointsConfigDump", Section.secrets, ".SecretsConfigDump");

    @Parameters(index = "0", paramLabel = "WORKLOAD", description = "The workload whose sidecar to ask, e.g. frontend-1 "
            + "(with --kubeconfig: the pod).")
    String workload;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SECTION", defaultValue = "all",
            description = "listeners, routes, clusters, endpoints or secrets (default: all).")
    Section section;

    @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or yaml; json and yaml are Envoy's config dump (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", paramLabel = "NAMESPACE",
            description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--control-plane", defaultValue = "http://127.0.0.1:15014", paramLabel = "URL",
            description = "Control plane admin URL, to find the sidecar (default: ${DEFAULT-VALUE}).")
    URI controlPlane;

    @Option(names = "--admin", paramLabel = "URL", description = "The sidecar's admin URL, instead of asking the control plane.")
    URI admin;

    @Mixin
    KubeOptions kube;

    @Override
    public Integer call() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        if (admin == null && kube.onCluster()) {
            // the pod's sidecar admin port listens on the pod's loopback: reach it through the API server's port-forward
            try (KubeOptions opened = kube;
                 LocalPortForward forward = kube.forward(namespace, workload, io.meshwork.injector.MeshNames.ADMIN_PORT)) {
                return show(http, KubeOptions.url(forward));
            }
        }
        return show(http, admin != null ? admin : findAdmin(http));
    }

    private int show(HttpClient http, URI adminUrl) throws Exception {
        if (output != OutputFormat.table) {
            JsonNode dump = OutputFormat.JSON.readTree(read(http, adminUrl, "/config_dump"));
            output.print(section == Section.all ? dump : dumpSection(dump, section));
            return 0;
        }
        // The secrets table reads the full dump; the others the summary: fetch only what the section needs.
        Struct summary = section == Section.secrets ? Struct.getDefaultInstance()
                : parse(read(http, adminUrl, "/config_summary"));
        if (section == Section.all || section == Section.listeners) {
            listeners(summary);
        }
        if (section == Section.all || section == Section.routes) {
            routes(summary);
        }
        if (section == Section.all || section == Section.clusters) {
            clusters(summary);
        }
        if (section == Section.all || section == Section.endpoints) {
            endpoints(summary);
        }
        if (section == Section.all || section == Section.secrets) {
            SecretsTable.print(dumpSection(OutputFormat.JSON.readTree(read(http, adminUrl, "/config_dump")), Section.secrets));
        }
        return 0;
    }

    private String read(HttpClient http, URI adminUrl, String path) throws java.io.IOException {
        try {
            return SidecarMetrics.get(http, adminUrl.resolve(path));
        } catch (java.io.IOException e) {
            throw new java.io.IOException("cannot read the sidecar's config at " + adminUrl.resolve(path) + " ("
                    + SidecarMetrics.reason(e) + ")" + (admin != null ? "; check --admin" : ""), e);
        }
    }

    private static JsonNode dumpSection(JsonNode dump, Section section) {
        for (JsonNode config : dump.path("configs")) {
            if (config.path("@type").asString("").endsWith(DUMP_TYPES.get(section))) {
                return config;
            }
        }
        throw new IllegalStateException("the sidecar's config dump has no " + DUMP_TYPES.get(section).substring(1));
    }

    private URI findAdmin(HttpClient http) throws Exception {
        List<String> seen = new ArrayList<>();
        for (Value v : SidecarMetrics.proxies(controlPlane, http)) {
            Struct p = v.getStructValue();
            String name = ProxyStatusCommand.str(p, "workload");
            seen.add(ProxyStatusCommand.str(p, "namespace") + "/" + name);
            if (name.equals(workload) && ProxyStatusCommand.str(p, "namespace").equals(namespace)) {
                String address = ProxyStatusCommand.str(p, "adminAddress");
                if (address.isEmpty()) {
                    throw new IllegalArgumentException("the sidecar of " + namespace + "/" + workload
                            + " does not say where its admin port is; pass --admin URL");
                }
                return URI.create("http://" + address);
            }
        }
        throw new IllegalArgumentException("no sidecar of workload " + namespace + "/" + workload + " is connected to "
                + controlPlane + (seen.isEmpty() ? " (none is)" : " (connected: " + String.join(", ", seen) + ")"));
    }

    private static void listeners(Struct dump) {
        Table table = new Table("LISTENER", "LISTENING ON", "MATCH", "FILTER");
        for (Value l : list(dump, "listeners")) {
            Struct listener = l.getStructValue();
            for (Value c : list(listener, "filter_chains")) {
                Struct chain = c.getStructValue();
                double port = chain.getFieldsOrDefault("destination_port", Value.getDefaultInstance()).getNumberValue();
                String filter = chain.containsFields("tcp_proxy") ? "tcp_proxy → " + str(chain, "tcp_proxy")
                        : chain.getFieldsOrThrow("http").getStructValue().containsFields("rds")
                                ? "http, routes " + str(chain.getFieldsOrThrow("http").getStructValue(), "rds")
                                : "http, inline routes";
                String bound = str(listener, "bound");
                String configured = str(listener, "address");
                table.row(str(listener, "name"), bound.equals(configured) ? bound : bound + " (xDS " + configured + ")",
                        port > 0 ? "port " + (long) port : "ALL", filter);
            }
        }
        print("Listeners", table);
    }

    private static void routes(Struct dump) {
        Table table = new Table("ROUTE CONFIG", "VIRTUAL HOST", "DOMAINS", "MATCH", "CLUSTER=WEIGHT");
        for (Value r : list(dump, "routes")) {
            Struct config = r.getStructValue();
            for (Value h : list(config, "virtual_hosts")) {
                Struct vhost = h.getStructValue();
                List<Value> domains = list(vhost, "domains");
                String domainText = domains.stream().limit(2).map(Value::getStringValue).collect(Collectors.joining(", "))
                        + (domains.size() > 2 ? " +" + (domains.size() - 2) + " more" : "");
                for (Value rt : list(vhost, "routes")) {
                    Struct route = rt.getStructValue();
                    long headers = (long) route.getFieldsOrDefault("headers", Value.getDefaultInstance()).getNumberValue();
                    String clusters = route.getFieldsOrDefault("clusters", Value.getDefaultInstance()).getStructValue()
                            .getFieldsMap().entrySet().stream()
                            .map(e -> e.getKey() + "=" + (long) e.getValue().getNumberValue())
                            .collect(Collectors.joining(", "));
                    table.row(str(config, "name"), str(vhost, "name"), domainText,
                            str(route, "match") + (headers > 0 ? " +" + headers + " headers" : ""), clusters);
                }
            }
        }
        print("Routes", table);
    }

    private static void clusters(Struct dump) {
        Table table = new Table("CLUSTER", "SERVICE", "LB", "HTTP/2", "ENDPOINTS", "EJECTED", "MAX CONN", "MAX PENDING",
                "MAX REQ", "MAX RETRIES");
        for (Value c : list(dump, "clusters")) {
            Struct cluster = c.getStructValue();
            Struct limits = cluster.getFieldsOrDefault("circuit_breakers", Value.getDefaultInstance()).getStructValue();
            long ejected = list(cluster, "endpoints").stream().filter(e -> e.getStructValue()
                    .getFieldsOrDefault("ejected_ms", Value.getDefaultInstance()).getNumberValue() > 0).count();
            boolean detects = cluster.getFieldsOrDefault("outlier_detection", Value.getDefaultInstance()).getBoolValue();
            table.row(str(cluster, "name"), str(cluster, "service"), str(cluster, "lb_policy"),
                    cluster.getFieldsOrDefault("http2", Value.getDefaultInstance()).getBoolValue() ? "yes" : "no",
                    Integer.toString(list(cluster, "endpoints").size()), detects ? Long.toString(ejected) : "-",
                    str(limits, "max_connections"),
                    str(limits, "max_pending_requests"), str(limits, "max_requests"), str(limits, "max_retries"));
        }
        print("Clusters", table);
    }

    private static void endpoints(Struct dump) {
        Table table = new Table("ENDPOINT", "STATUS", "WORKLOAD", "VERSION", "LOCALITY", "K8S CLUSTER", "CLUSTER");
        for (Value c : list(dump, "clusters")) {
            Struct cluster = c.getStructValue();
            for (Value e : list(cluster, "endpoints")) {
                Struct endpoint = e.getStructValue();
                table.row(str(endpoint, "address"),
                        status(endpoint),
                        orDash(str(endpoint, "workload")), orDash(str(endpoint, "version")), orDash(str(endpoint, "locality")),
                        orDash(str(endpoint, "mesh_cluster")), str(cluster, "name"));
            }
        }
        print("Endpoints", table);
    }

    /** The sidecar's own app (an inbound cluster) has no workload or version in its metadata: "-", not "unknown". */
    private static String orDash(String value) {
        return value.isEmpty() || value.equals("unknown") ? "-" : value;
    }

    static void print(String title, Table table) {
        System.out.println(title + ":");
        table.print(System.out);
        System.out.println();
    }

    private static Struct parse(String json) throws Exception {
        Struct.Builder b = Struct.newBuilder();
        JsonFormat.parser().merge(json, b);
        return b.build();
    }

    private static List<Value> list(Struct s, String key) {
        return s.getFieldsOrDefault(key, Value.getDefaultInstance()).getListValue().getValuesList();
    }

    /** HEALTHY, UNHEALTHY, or EJECTED with the seconds left when outlier detection has taken it out. */
    private static String status(Struct endpoint) {
        double ejectedMs = endpoint.getFieldsOrDefault("ejected_ms", Value.getDefaultInstance()).getNumberValue();
        if (ejectedMs > 0) {
            return "EJECTED (" + (long) Math.ceil(ejectedMs / 1000) + "s left)";
        }
        return endpoint.getFieldsOrDefault("healthy", Value.getDefaultInstance()).getBoolValue() ? "HEALTHY" : "UNHEALTHY";
    }

    private static String str(Struct s, String key) {
        Value v = s.getFieldsOrDefault(key, Value.getDefaultInstance());
        return v.hasNumberValue() ? Long.toString((long) v.getNumberValue()) : v.getStringValue();
    }

}
