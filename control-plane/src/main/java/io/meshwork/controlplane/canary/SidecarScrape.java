package io.meshwork.controlplane.canary;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a backend's request statistics from sidecars' Prometheus endpoints (15090
 * {@code /stats/prometheus}) as the calling side reports them ({@code mesh_requests_total} and the
 * duration histogram with {@code destination_service} = the backend; its cluster's
 * {@code mesh_upstream_retries_total} and {@code mesh_outlier_ejections_total}), summed over the sidecars.
 * Where the sidecars are is the caller's business: the CLI asks the control plane, the control plane
 * in Kubernetes takes the meshed pods.
 */
public final class SidecarScrape {

    public static final Duration TIMEOUT = Duration.ofSeconds(2);

    private SidecarScrape() {
    }

    /** A client with this class's connect timeout. */
    public static HttpClient newClient() {
        return HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    /**
     * The backend's statistics summed over every URL that answers; an error when none answers, since
     * then nothing can be checked (a sidecar that went away no longer adds traffic).
     */
    public static TrafficStats sum(HttpClient http, List<URI> urls, String backend, String namespace) throws IOException {
        TrafficStats sum = TrafficStats.EMPTY;
        IOException firstError = null;
        int answered = 0;
        for (URI url : urls) {
            String text;
            try {
                text = get(http, url);
            } catch (IOException e) {
                firstError = firstError == null ? e : firstError;
                continue;
            }
            answered++;
            sum = sum.plus(statsOf(PrometheusText.parse(text), backend, namespace));
        }
        if (answered == 0) {
            throw new IOException("no sidecar answered for metrics (" + urls.size() + " tried; "
                    + (urls.isEmpty() ? "none known" : urls.get(0) + ": " + reason(firstError)) + ")");
        }
        return sum;
    }

    /** Sums one backend's samples from one sidecar's metrics. */
    public static TrafficStats statsOf(List<PrometheusText.Sample> samples, String backend, String namespace) {
        Set<String> names = Set.of(backend, backend + "." + namespace, backend + "." + namespace + ".svc.cluster.local");
        long requests = 0;
        long successes = 0;
        long retries = 0;
        long ejections = 0;
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
            } else if (s.name().equals("mesh_upstream_retries_total")) {
                retries += (long) s.value();
            } else if (s.name().equals("mesh_outlier_ejections_total")) {
                ejections += (long) s.value();
            }
        }
        return new TrafficStats(requests, successes, buckets, retries, ejections);
    }

    /** GET {@code url}'s body; anything but 200 is an error naming the URL. */
    public static String get(HttpClient http, URI url) throws IOException {
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

    /** What went wrong with a connection, in words: the JDK's HTTP client leaves the message of a refused connection null. */
    public static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return t.getMessage() == null ? "connection refused" : t.getMessage();
            }
            if (t instanceof java.net.http.HttpTimeoutException) {
                return "no answer within " + TIMEOUT.toSeconds() + "s";
            }
        }
        return e == null ? "unknown" : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
