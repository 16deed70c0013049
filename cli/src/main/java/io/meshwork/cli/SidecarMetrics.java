package io.meshwork.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.meshwork.controlplane.canary.SidecarScrape;
import io.meshwork.controlplane.canary.TrafficObserver;
import io.meshwork.controlplane.canary.TrafficStats;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a backend's request statistics from the sidecars' Prometheus endpoints (15090
 * {@code /stats/prometheus}), as reported by the calling side ({@code mesh_requests_total} with
 * {@code destination_service} = the backend). The sidecars are found through the control plane's
 * {@code /debug/proxies}, or given as URLs.
 */
public final class SidecarMetrics implements TrafficObserver {

    private final HttpClient http = SidecarScrape.newClient();
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
        return SidecarScrape.sum(http, urls, backendService, namespace);
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
        return proxies(proxiesJson(controlPlane, http));
    }

    /** The entries of a {@code /debug/proxies} answer. */
    static List<Value> proxies(String json) throws IOException {
        Struct.Builder root = Struct.newBuilder();
        JsonFormat.parser().merge(json.strip().startsWith("[") ? "{\"proxies\":" + json + "}" : json, root);
        return root.getFieldsOrDefault("proxies", Value.getDefaultInstance()).getListValue().getValuesList();
    }

    /** What went wrong with a connection, in words. */
    static String reason(IOException e) {
        return SidecarScrape.reason(e);
    }

    static String get(HttpClient http, URI url) throws IOException {
        return SidecarScrape.get(http, url);
    }
}
