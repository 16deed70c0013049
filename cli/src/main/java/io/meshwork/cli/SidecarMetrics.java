package io.meshwork.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.meshwork.controlplane.canary.PrometheusText;
import io.meshwork.controlplane.canary.TrafficObserver;
import io.meshwork.controlplane.canary.TrafficStats;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a backend's request statistics from the sidecars' Prometheus endpoints (15090
 * {@code /stats/prometheus}), as reported by the calling side ({@code mesh_requests_total} with
 * {@code destination_service} = the backend). The sidecars are found through the control plane's
 * {@code /debug/proxies}, or given as URLs.
 */
public final class SidecarMetrics implements TrafficObserver {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final URI controlPlane;
    private final List<URI> fixedUrls;
    private final String namespace;

    public SidecarMetrics(URI controlPlane, List<URI> fixedUrls, String namespace) {
        this.controlPlane = controlPlane;
        this.fixedUrls = List.copyOf(fixedUrls);
        this.namespace = namespace;
    }

    /**
     * The backend's statistics summed over every sidecar that answers; an error when no sidecar is
     * known or none answers, since then nothing can be checked.
     */
    @Override
    public TrafficStats read(String backendService) throws IOException {
        List<URI> urls = sidecars();
        if (urls.isEmpty()) {
            throw new IOException("no sidecar to read metrics from: the control plane at " + controlPlane
                    + " lists none with a metrics address (or give --metrics-url)");
        }
        TrafficStats sum = TrafficStats.EMPTY;
        IOException firstError = null;
        int answered = 0;
        for (URI url : urls) {
            String text;
            try {
                text = get(url);
            } catch (IOException e) {
                firstError = firstError == null ? e : firstError;
                continue; // a sidecar that went away no longer adds traffic
            }
            answered++;
            sum = sum.plus(statsOf(PrometheusText.parse(text), backendService, namespace));
        }
        if (answered == 0) {
            throw new IOException("no sidecar answered for metrics (" + urls.size() + " tried; " + urls.get(0) + ": "
                    + reason(firstError) + ")");
        }
        return sum;
    }

    /** Sums one backend's samples from one sidecar's metrics. */
    static TrafficStats statsOf(List<PrometheusText.Sample> samples, String backend, String namespace) {
        Set<String> names = Set.of(backend, backend + "." + namespace, backend + "." + namespace + ".svc.cluster.local");
        long requests = 0;
        long successes = 0;
        TreeMap<Double, Long> buckets = new TreeMap<>();
        for (PrometheusText.Sample s : samples) {
            if (!names.contains(s.label("destination_service")) || "destination".equals(s.label("reporter"))) {
                continue;
            }
            if (s.name().equals("mesh_requests_total")) {
                long count = (long) s.value();
                requests += count;
                if (!s.label("response_code").startsWith("5")) {
                    successes += count;
                }
            } else if (s.name().equals("mesh_request_duration_milliseconds_bucket")) {
                String le = s.label("le");
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                buckets.merge(bound, (long) s.value(), Long::sum);
            }
        }
        return new TrafficStats(requests, successes, buckets);
    }

    private List<URI> sidecars() throws IOException {
        if (!fixedUrls.isEmpty()) {
            return fixedUrls;
        }
        Set<URI> urls = new LinkedHashSet<>();
        for (Value proxy : proxies(controlPlane, http)) {
            Value address = proxy.getStructValue().getFieldsOrDefault("metricsAddress", Value.getDefaultInstance());
            if (!address.getStringValue().isEmpty()) {
                urls.add(URI.create("http://" + address.getStringValue() + "/stats/prometheus"));
            }
        }
        return new ArrayList<>(urls);
    }

    /** The control plane's {@code /debug/proxies}, as it answers. */
    static String proxiesJson(URI controlPlane, HttpClient http) throws IOException {
        try {
            return get(http, controlPlane.resolve("/debug/proxies"));
        } catch (IOException e) {
            throw new IOException("cannot reach the control plane at " + controlPlane + " (" + reason(e)
                    + "); is `mesh control-plane` running? (--control-plane URL)", e);
        }
    }

    /** The entries of the control plane's {@code /debug/proxies}. */
    static List<Value> proxies(URI controlPlane, HttpClient http) throws IOException {
        String json = proxiesJson(controlPlane, http);
        Struct.Builder root = Struct.newBuilder();
        JsonFormat.parser().merge(json.strip().startsWith("[") ? "{\"proxies\":" + json + "}" : json, root);
        return root.getFieldsOrDefault("proxies", Value.getDefaultInstance()).getListValue().getValuesList();
    }

    /** What went wrong with a connection, in words: the JDK's HTTP client leaves the message of a refused connection null. */
    static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return t.getMessage() == null ? "connection refused" : t.getMessage();
            }
            if (t instanceof java.net.http.HttpTimeoutException) {
                return "no answer within " + TIMEOUT.toSeconds() + "s";
            }
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private String get(URI url) throws IOException {
        return get(http, url);
    }

    static String get(HttpClient http, URI url) throws IOException {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException(url + " answered " + response.statusCode());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + url, e);
        }
    }
}
