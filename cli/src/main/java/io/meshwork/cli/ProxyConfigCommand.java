package io.meshwork.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mesh proxy-config WORKLOAD [listeners|routes|clusters|endpoints]}: the config a sidecar runs,
 * read from its {@code /config_dump}, as tables or JSON (as {@code istioctl proxy-config}).
 */
@Command(name = "proxy-config", description = "Show the listeners, routes, clusters or endpoints a workload's sidecar runs.")
final class ProxyConfigCommand implements Callable<Integer> {

    enum Section { all, listeners, routes, clusters, endpoints }

    @Parameters(index = "0", paramLabel = "WORKLOAD", description = "The workload whose sidecar to ask, e.g. frontend-1.")
    String workload;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SECTION", defaultValue = "all",
            description = "listeners, routes, clusters or endpoints (default: all).")
    Section section;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--control-plane", defaultValue = "http://127.0.0.1:15014",
            description = "Control plane admin URL, to find the sidecar (default: ${DEFAULT-VALUE}).")
    URI controlPlane;

    @Option(names = "--admin", paramLabel = "URL", description = "The sidecar's admin URL, instead of asking the control plane.")
    URI admin;

    @Override
    public Integer call() throws Exception {
        if (!output.equals("table") && !output.equals("json")) {
            throw new IllegalArgumentException("-o " + output + ": expected table or json");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI adminUrl = admin != null ? admin : findAdmin(http);
        String json;
        try {
            json = SidecarMetrics.get(http, adminUrl.resolve("/config_dump"));
        } catch (java.io.IOException e) {
            throw new java.io.IOException("cannot read the sidecar's config at " + adminUrl.resolve("/config_dump") + " ("
                    + SidecarMetrics.reason(e) + ")" + (admin != null ? "; check --admin" : ""), e);
        }
        Struct dump = parse(json);
        if (output.equals("json")) {
            System.out.println(section == Section.all ? json.strip()
                    : JsonFormat.printer().print(dump.getFieldsOrDefault(
                            section == Section.endpoints ? "clusters" : section.name(), Value.getDefaultInstance())));
            return 0;
        }
        if (section == Section.all || section == Section.listeners) {
            listeners(dump);
        }
        if (section == Section.all || section == Section.routes) {
            routes(dump);
        }
        if (section == Section.all || section == Section.clusters) {
            clusters(dump);
        }
        if (section == Section.all || section == Section.endpoints) {
            endpoints(dump);
        }
        return 0;
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
        Table table = new Table("LISTENER", "ADDRESS", "MATCH", "FILTER");
        for (Value l : list(dump, "listeners")) {
            Struct listener = l.getStructValue();
            for (Value c : list(listener, "filter_chains")) {
                Struct chain = c.getStructValue();
                double port = chain.getFieldsOrDefault("destination_port", Value.getDefaultInstance()).getNumberValue();
                String filter = chain.containsFields("tcp_proxy") ? "tcp_proxy → " + str(chain, "tcp_proxy")
                        : chain.getFieldsOrThrow("http").getStructValue().containsFields("rds")
                                ? "http, routes " + str(chain.getFieldsOrThrow("http").getStructValue(), "rds")
                                : "http, inline routes";
                table.row(str(listener, "name"), str(listener, "address"), port > 0 ? "port " + (long) port : "ALL", filter);
            }
        }
        print("Listeners", table);
    }

    private static void routes(Struct dump) {
        Table table = new Table("ROUTE CONFIG", "VIRTUAL HOST", "DOMAINS", "MATCH", "CLUSTERS");
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
                            .map(e -> e.getKey() + " " + (long) e.getValue().getNumberValue())
                            .collect(Collectors.joining(", "));
                    table.row(str(config, "name"), str(vhost, "name"), domainText,
                            str(route, "match") + (headers > 0 ? " +" + headers + " headers" : ""), clusters);
                }
            }
        }
        print("Routes", table);
    }

    private static void clusters(Struct dump) {
        Table table = new Table("CLUSTER", "SERVICE", "LB", "HTTP/2", "ENDPOINTS");
        for (Value c : list(dump, "clusters")) {
            Struct cluster = c.getStructValue();
            table.row(str(cluster, "name"), str(cluster, "service"), str(cluster, "lb_policy"),
                    cluster.getFieldsOrDefault("http2", Value.getDefaultInstance()).getBoolValue() ? "yes" : "no",
                    Integer.toString(list(cluster, "endpoints").size()));
        }
        print("Clusters", table);
    }

    private static void endpoints(Struct dump) {
        Table table = new Table("ENDPOINT", "STATUS", "WORKLOAD", "VERSION", "CLUSTER");
        for (Value c : list(dump, "clusters")) {
            Struct cluster = c.getStructValue();
            for (Value e : list(cluster, "endpoints")) {
                Struct endpoint = e.getStructValue();
                table.row(str(endpoint, "address"),
                        endpoint.getFieldsOrDefault("healthy", Value.getDefaultInstance()).getBoolValue() ? "HEALTHY" : "UNHEALTHY",
                        str(endpoint, "workload"), str(endpoint, "version"), str(cluster, "name"));
            }
        }
        print("Endpoints", table);
    }

    private static void print(String title, Table table) {
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

    private static String str(Struct s, String key) {
        Value v = s.getFieldsOrDefault(key, Value.getDefaultInstance());
        return v.hasNumberValue() ? Long.toString((long) v.getNumberValue()) : v.getStringValue();
    }

}
