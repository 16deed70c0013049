package io.meshwork.controlplane.canary.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwork.controlplane.canary.SplitControl;
import io.meshwork.controlplane.canary.SplitSnapshot;
import io.meshwork.controlplane.source.kubernetes.ApiErrors;
import io.meshwork.controlplane.source.kubernetes.KubernetesSource;
import io.meshwork.controlplane.source.local.TrafficSplitFiles;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A service's default TrafficSplit in a cluster: the one {@code split.smi-spec.io} TrafficSplit of the
 * namespace whose {@code spec.service} is the service and that has no {@code matches}. An update
 * reads the object, decides on what it found, and writes it back with the resourceVersion it read, so
 * the API server refuses the write (409 Conflict) when another writer changed it in between; then the
 * update starts again from the object as it is now, up to {@link #ATTEMPTS} times. No other writer's
 * change is lost. The canary status note is the annotation {@code meshwork.io/canary-status}, as in a
 * config folder.
 */
public final class ClusterSplitControl implements SplitControl {

    static final int ATTEMPTS = 10;

    private final KubernetesClient client;
    private final String cluster;
    private final String namespace;
    private final String service;

    /** @param cluster how the cluster is named to people (the kubeconfig context, or the API server URL) */
    public ClusterSplitControl(KubernetesClient client, String cluster, String namespace, String service) {
        this.client = client;
        this.cluster = cluster;
        this.namespace = namespace;
        this.service = service;
    }

    @Override
    public Ref ref() throws IOException {
        return new Ref(namespace, find().getMetadata().getName(), null, cluster);
    }

    @Override
    public SplitSnapshot read() throws IOException {
        return snapshot(find());
    }

    @Override
    public Update update(UnaryOperator<SplitSnapshot> change) throws IOException {
        for (int attempt = 1; ; attempt++) {
            GenericKubernetesResource split = find();
            SplitSnapshot before = snapshot(split);
            SplitSnapshot wanted = change.apply(before);
            if (wanted == null) {
                return new Update(before, Optional.empty());
            }
            if (wanted.equals(before)) {
                return new Update(before, Optional.of(wanted));
            }
            requireValid(split, wanted.weights());
            apply(split, wanted);
            try {
                client.genericKubernetesResources(KubernetesSource.TRAFFIC_SPLIT.context()).inNamespace(namespace)
                        .resource(split).update();
                return new Update(before, Optional.of(wanted));
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw new IOException("cannot update " + title(split) + " in " + where() + ": " + ApiErrors.reason(e), e);
                }
                if (attempt == ATTEMPTS) {
                    throw new IllegalStateException(title(split) + " changed under each of " + ATTEMPTS
                            + " attempts to update it; nothing was written, try again");
                }
            }
        }
    }

    @Override
    public void requireValid(Map<String, Long> weights) throws IOException {
        requireValid(find(), weights);
    }

    private void requireValid(GenericKubernetesResource split, Map<String, Long> weights) {
        List<Map<String, Object>> backends = backends(split);
        for (String backend : weights.keySet()) {
            int index = indexOf(backends, backend);
            if (client.services().inNamespace(namespace).withName(backend).get() == null) {
                throw new IllegalArgumentException(title(split) + ": spec.backends["
                        + (index >= 0 ? index : backends.size()) + "].service: " + backend + " is not a Service in namespace "
                        + namespace);
            }
        }
        if (weights.values().stream().allMatch(w -> w == 0)) {
            throw new IllegalArgumentException(title(split) + ": spec.backends: every weight would be 0");
        }
    }

    /** Writes {@code wanted}'s weights (a backend the split lacks is added) and note into {@code split}. */
    private static void apply(GenericKubernetesResource split, SplitSnapshot wanted) {
        List<Map<String, Object>> backends = backends(split);
        wanted.weights().forEach((backend, weight) -> {
            int index = indexOf(backends, backend);
            if (index >= 0) {
                backends.get(index).put("weight", weight);
            } else {
                Map<String, Object> added = new LinkedHashMap<>();
                added.put("service", backend);
                added.put("weight", weight);
                backends.add(added);
            }
        });
        Map<String, String> annotations = split.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(split.getMetadata().getAnnotations());
        if (wanted.status() == null) {
            annotations.remove(TrafficSplitFiles.STATUS_ANNOTATION);
        } else {
            annotations.put(TrafficSplitFiles.STATUS_ANNOTATION, wanted.status());
        }
        split.getMetadata().setAnnotations(annotations);
    }

    private GenericKubernetesResource find() throws IOException {
        List<GenericKubernetesResource> all;
        try {
            all = client.genericKubernetesResources(KubernetesSource.TRAFFIC_SPLIT.context()).inNamespace(namespace)
                    .list().getItems();
        } catch (KubernetesClientException e) {
            throw new IOException("cannot list TrafficSplits in namespace " + namespace + " of " + where() + " ("
                    + client.getMasterUrl() + "): " + ApiErrors.reason(e), e);
        }
        List<GenericKubernetesResource> defaults = all.stream().filter(this::isDefaultSplitOfService).toList();
        if (defaults.isEmpty()) {
            throw new IllegalArgumentException("no TrafficSplit for service \"" + service + "\" in namespace " + namespace
                    + " of " + where() + " (a split without matches whose spec.service is " + service + ")");
        }
        if (defaults.size() > 1) {
            throw new IllegalArgumentException("TrafficSplits " + defaults.stream().map(s -> s.getMetadata().getName()).toList()
                    + " in namespace " + namespace + " are all default splits of " + service + "; delete all but one");
        }
        return defaults.get(0);
    }

    private boolean isDefaultSplitOfService(GenericKubernetesResource split) {
        Map<String, Object> spec = spec(split);
        Object matches = spec.get("matches");
        return service.equals(spec.get("service")) && (matches == null || matches instanceof List<?> l && l.isEmpty());
    }

    private SplitSnapshot snapshot(GenericKubernetesResource split) {
        Map<String, Long> weights = new LinkedHashMap<>();
        List<Map<String, Object>> backends = backends(split);
        for (int i = 0; i < backends.size(); i++) {
            Object weight = backends.get(i).get("weight");
            if (!(weight instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException(title(split) + ": spec.backends[" + i + "].weight: " + weight
                        + " is not an integer; mesh split and mesh canary write integer weights");
            }
            weights.put(String.valueOf(backends.get(i).get("service")), n.longValue());
        }
        Map<String, String> annotations = split.getMetadata().getAnnotations();
        return new SplitSnapshot(weights, annotations == null ? null : annotations.get(TrafficSplitFiles.STATUS_ANNOTATION));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource split) {
        Object spec = split.getAdditionalProperties().get("spec");
        return spec instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> backends(GenericKubernetesResource split) {
        Map<String, Object> spec = spec(split);
        Object backends = spec.get("backends");
        if (!(backends instanceof List<?>)) {
            List<Map<String, Object>> empty = new ArrayList<>();
            if (spec instanceof LinkedHashMap<String, Object> editable) {
                editable.put("backends", empty);
            }
            return empty;
        }
        return (List<Map<String, Object>>) backends;
    }

    private static int indexOf(List<Map<String, Object>> backends, String backend) {
        for (int i = 0; i < backends.size(); i++) {
            if (backend.equals(backends.get(i).get("service"))) {
                return i;
            }
        }
        return -1;
    }

    private String title(GenericKubernetesResource split) {
        return "TrafficSplit " + namespace + "/" + split.getMetadata().getName();
    }

    private String where() {
        return "cluster " + cluster;
    }
}
