package io.meshwork.proxy.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The app probes a sidecar serves at {@code /app-health/<container>/livez|readyz|startupz}, read from
 * the injector's {@code MESH_KUBE_APP_PROBERS} JSON: path → {@code {httpGet|tcpSocket|grpc: {port,
 * path?, scheme?, host?, httpHeaders?, service?}, timeoutSeconds?}}.
 */
public record AppProbes(Map<String, AppProbe> byPath) {

    public static final String ENV = "MESH_KUBE_APP_PROBERS";
    public static final String PATH_PREFIX = "/app-health/";

    public AppProbes {
        byPath = Map.copyOf(byPath);
    }

    public static AppProbes none() {
        return new AppProbes(Map.of());
    }

    /**
     * Parses the JSON (blank: no probes).
     *
     * @throws IllegalArgumentException naming the path and the field that is wrong
     */
    public static AppProbes parse(String json) {
        if (json == null || json.isBlank()) {
            return none();
        }
        Struct.Builder root = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(json, root);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(ENV + ": not a JSON object of path → probe: " + e.getMessage());
        }
        Map<String, AppProbe> probes = new LinkedHashMap<>();
        root.getFieldsMap().forEach((path, value) -> {
            if (!path.startsWith(PATH_PREFIX)) {
                throw new IllegalArgumentException(ENV + ": path \"" + path + "\" does not start with " + PATH_PREFIX);
            }
            probes.put(path, probe(path, object(path, "", value)));
        });
        return new AppProbes(probes);
    }

    private static AppProbe probe(String path, Struct probe) {
        Duration timeout = probe.containsFields("timeoutSeconds")
                ? Duration.ofSeconds(Math.max(1, (long) number(path, "timeoutSeconds", probe.getFieldsOrThrow("timeoutSeconds"))))
                : AppProbe.DEFAULT_TIMEOUT;
        if (probe.containsFields("httpGet")) {
            Struct http = object(path, "httpGet", probe.getFieldsOrThrow("httpGet"));
            String scheme = string(path, "httpGet.scheme", http, "HTTP");
            if (!scheme.equalsIgnoreCase("HTTP") && !scheme.equalsIgnoreCase("HTTPS")) {
                throw new IllegalArgumentException(ENV + ": " + path + ": httpGet.scheme \"" + scheme + "\" is neither HTTP nor HTTPS");
            }
            String target = string(path, "httpGet.path", http, "/");
            Map<String, String> headers = new LinkedHashMap<>();
            if (http.containsFields("httpHeaders")) {
                for (Value header : http.getFieldsOrThrow("httpHeaders").getListValue().getValuesList()) {
                    Struct entry = object(path, "httpGet.httpHeaders[]", header);
                    headers.put(string(path, "httpGet.httpHeaders[].name", entry, ""),
                            string(path, "httpGet.httpHeaders[].value", entry, ""));
                }
            }
            return new AppProbe.HttpGet(port(path, "httpGet", http), target.startsWith("/") ? target : "/" + target,
                    scheme.equalsIgnoreCase("HTTPS"), string(path, "httpGet.host", http, ""), headers, timeout);
        }
        if (probe.containsFields("tcpSocket")) {
            return new AppProbe.TcpSocket(port(path, "tcpSocket", object(path, "tcpSocket", probe.getFieldsOrThrow("tcpSocket"))),
                    timeout);
        }
        if (probe.containsFields("grpc")) {
            Struct grpc = object(path, "grpc", probe.getFieldsOrThrow("grpc"));
            return new AppProbe.Grpc(port(path, "grpc", grpc), string(path, "grpc.service", grpc, ""), timeout);
        }
        throw new IllegalArgumentException(ENV + ": " + path + ": has none of httpGet, tcpSocket, grpc");
    }

    private static int port(String path, String handler, Struct action) {
        if (!action.containsFields("port")) {
            throw new IllegalArgumentException(ENV + ": " + path + ": " + handler + ".port is missing");
        }
        double port = number(path, handler + ".port", action.getFieldsOrThrow("port"));
        if (port != Math.rint(port) || port < 1 || port > 65535) {
            throw new IllegalArgumentException(ENV + ": " + path + ": " + handler + ".port " + port + " is not in 1..65535");
        }
        return (int) port;
    }

    private static Struct object(String path, String field, Value value) {
        if (!value.hasStructValue()) {
            throw new IllegalArgumentException(ENV + ": " + path + (field.isEmpty() ? "" : ": " + field) + " is not an object");
        }
        return value.getStructValue();
    }

    private static double number(String path, String field, Value value) {
        if (!value.hasNumberValue()) {
            throw new IllegalArgumentException(ENV + ": " + path + ": " + field + " is not a number");
        }
        return value.getNumberValue();
    }

    private static String string(String path, String field, Struct struct, String fallback) {
        String key = field.substring(field.lastIndexOf('.') + 1);
        if (!struct.containsFields(key)) {
            return fallback;
        }
        Value value = struct.getFieldsOrThrow(key);
        if (!value.hasStringValue()) {
            throw new IllegalArgumentException(ENV + ": " + path + ": " + field + " is not a string");
        }
        return value.getStringValue();
    }
}
