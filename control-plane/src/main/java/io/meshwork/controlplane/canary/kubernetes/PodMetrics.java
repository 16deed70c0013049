package io.meshwork.controlplane.canary.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.meshwork.controlplane.canary.SidecarScrape;
import io.meshwork.controlplane.canary.TrafficObserver;
import io.meshwork.controlplane.canary.TrafficStats;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A backend's request statistics as the cluster's sidecars report them: every running meshed pod
 * (annotation {@code meshwork.io/status}) with an IP is scraped at {@code http://<podIP>:<port>/stats/prometheus},
 * the port from the injector's {@code prometheus.io/port} annotation (15090 without it). The control
 * plane reaches pod IPs; a laptop running the CLI usually cannot, which is why the cluster's leader runs
 * the analysis.
 */
public final class PodMetrics implements TrafficObserver {

    static final String MESHED = "meshwork.io/status";
    static final String PORT_ANNOTATION = "prometheus.io/port";
    static final int DEFAULT_PORT = 15090;

    private final Supplier<List<Pod>> pods;
    private final String namespace;
    private final HttpClient http = SidecarScrape.newClient();

    /** @param namespace the backend services' namespace */
    public PodMetrics(Supplier<List<Pod>> pods, String namespace) {
        this.pods = pods;
        this.namespace = namespace;
    }

    @Override
    public TrafficStats read(String backendService) throws IOException {
        List<URI> urls = urls(pods.get());
        if (urls.isEmpty()) {
            throw new IOException("no running meshed pod (annotation " + MESHED + ") to read metrics from");
        }
        return SidecarScrape.sum(http, urls, backendService, namespace);
    }

    static List<URI> urls(List<Pod> pods) {
        List<URI> urls = new ArrayList<>();
        for (Pod pod : pods) {
            Map<String, String> annotations = pod.getMetadata().getAnnotations();
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            boolean running = pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
            if (annotations == null || !annotations.containsKey(MESHED) || ip == null || ip.isBlank() || !running
                    || pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            int port = DEFAULT_PORT;
            try {
                port = Integer.parseInt(annotations.getOrDefault(PORT_ANNOTATION, String.valueOf(DEFAULT_PORT)).strip());
            } catch (NumberFormatException e) {
                // an annotation that is no port: the injector's default
            }
            String host = ip.contains(":") ? "[" + ip + "]" : ip;
            urls.add(URI.create("http://" + host + ":" + port + "/stats/prometheus"));
        }
        return urls;
    }
}
