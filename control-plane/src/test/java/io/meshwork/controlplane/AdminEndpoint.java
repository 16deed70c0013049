package io.meshwork.controlplane;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The control plane's admin endpoint on loopback, as tests read it: raw responses, one metric, the proxies. */
public final class AdminEndpoint {

    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;

    public AdminEndpoint(int port) {
        this.port = port;
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of the unlabelled sample {@code name} in {@code /metrics}. */
    public double metric(String name) throws IOException, InterruptedException {
        String metrics = get("/metrics").body();
        Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(metrics);
        if (!sample.find()) {
            throw new AssertionError("/metrics has no sample " + name + ":\n" + metrics);
        }
        return Double.parseDouble(sample.group(1));
    }

    /** {@code /debug/proxies}, one Struct per connected proxy. */
    public List<Struct> proxies() throws IOException, InterruptedException {
        ListValue.Builder proxies = ListValue.newBuilder();
        JsonFormat.parser().merge(get("/debug/proxies").body(), proxies);
        return proxies.getValuesList().stream().map(Value::getStructValue).toList();
    }
}
