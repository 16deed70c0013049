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
 * A service's weights in a cluster: the backendRefs of the rule without matches (or with only {@code PathPrefix
 * /}) of its producer {@code gateway.networking.k8s.io} HTTPRoute (one in its namespace whose parentRefs name the
 * Service) when one routes it, as translation lets the route override the split; else its default TrafficSplit,
 * the one {@code split.smi-spec.io} TrafficSplit of the namespace whose {@code spec.service} is the service and
 * that has no {@code matches}. An update reads the object, decides on what it found, and writes it back with the
 * resourceVersion it read, so the API server refuses the write (409 Conflict) when another writer changed it in
 * between; then the update starts again from the object as it is now, up to {@link #ATTEMPTS} times. No other
 * writer's change is lost. The canary status note is the annotation {@code meshwork.io/canary-status}, as in a
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

    /**
     * The object that holds the weights: a TrafficSplit ({@code rule} -1; backends {@code spec.backends[]},
     * {@code service} and {@code weight}, default 0) or an HTTPRoute (backends {@code spec.rules[rule].backendRefs[]},
     * {@code name} and {@code weight}, default 1).
     */
    private record Weighed(GenericKubernetesResource object, KubernetesSource.CustomKind kind, int rule) {

        boolean route() {
            return rule >= 0;
        }

        String title(String namespace) {
            return kind.kind() + " " + namespace + "/" + object.getMetadata().getName();
        }

        String field() {
            return route() ? "spec.rules[" + rule + "].backendRefs" : "spec.backends";
        }

        String nameKey() {
            return route() ? "name" : "service";
        }

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> backends() {
            Map<String, Object> holder = route() ? (Map<String, Object>) rules(object).get(rule) : spec(object);
            String key = route() ? "backendRefs" : "backends";
            if (!(holder.get(key) instanceof List<?> list)) {
                List<Map<String, Object>> empty = new ArrayList<>();
                holder.put(key, empty);
                return empty;
            }
            return (List<Map<String, Object>>) list;
        }
    }

    @Override
    public Ref ref() throws IOException {
        Weighed found = find();
        return new Ref(found.kind().kind(), namespace, found.object().getMetadata().getName(), null, cluster);
    }

    @Override
    public SplitSnapshot read() throws IOException {
        return snapshot(find());
    }

    @Override
    public Update update(UnaryOperator<SplitSnapshot> change) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Weighed found = find();
            SplitSnapshot before = snapshot(found);
            SplitSnapshot wanted = change.apply(before);
            if (wanted == null) {
                return new Update(before, Optional.empty());
            }
            if (wanted.equals(before)) {
                return new Update(before, Optional.of(wanted));
            }
            requireValid(found, wanted.weights());
            apply(found, wanted);
            try {
                client.genericKubernetesResources(found.kind().context()).inNamespace(namespace)
                        .resource(found.object()).update();
                return new Update(before, Optional.of(wanted));
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw new IOException("cannot update " + found.title(namespace) + " in " + where() + ": "
                            + ApiErrors.reason(e), e);
                }
                if (attempt == ATTEMPTS) {
                    throw new IllegalStateException(found.title(namespace) + " changed under each of " + ATTEMPTS
                            + " attempts to update it; nothing was written, try again");
                }
            }
        }
    }

    @Override
    public void requireValid(Map<String, Long> weights) throws IOException {
        requireValid(find(), weights);
    }

    private void requireValid(Weighed found, Map<String, Long> weights) {
        List<Map<String, Object>> backends = found.backends();
        for (String backend : weights.keySet()) {
            int index = indexOf(found, backends, backend);
            if (client.services().inNamespace(namespace).withName(backend).get() == null) {
                throw new IllegalArgumentException(found.title(namespace) + ": " + found.field() + "["
                        + (index >= 0 ? index : backends.size()) + "]." + found.nameKey() + ": " + backend
                        + " is not a Service in namespace " + namespace);
            }
        }
        if (weights.values().stream().allMatch(w -> w == 0)) {
            throw new IllegalArgumentException(found.title(namespace) + ": " + found.field() + ": every weight would be 0");
        }
    }

    /**
     * Writes {@code wanted}'s weights (a backend the object lacks is added; to a route with the port of its first
     * backendRef) and note into the object.
     */
    private static void apply(Weighed found, SplitSnapshot wanted) {
        List<Map<String, Object>> backends = found.backends();
        Object port = backends.isEmpty() ? null : backends.get(0).get("port");
        wanted.weights().forEach((backend, weight) -> {
            int index = indexOf(found, backends, backend);
            if (index >= 0) {
                backends.get(index).put("weight", weight);
            } else {
                Map<String, Object> added = new LinkedHashMap<>();
                added.put(found.nameKey(), backend);
                if (found.route() && port != null) {
                    added.put("port", port);
                }
                added.put("weight", weight);
                backends.add(added);
            }
        });
        GenericKubernetesResource object = found.object();
        Map<String, String> annotations = object.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(object.getMetadata().getAnnotations());
        if (wanted.status() == null) {
            annotations.remove(TrafficSplitFiles.STATUS_ANNOTATION);
        } else {
            annotations.put(TrafficSplitFiles.STATUS_ANNOTATION, wanted.status());
        }
        object.getMetadata().setAnnotations(annotations);
    }

    private Weighed find() throws IOException {
        // An HTTPRoute on the service overrides a GRPCRoute, and either overrides the TrafficSplit, as translation does.
        for (KubernetesSource.CustomKind kind : List.of(KubernetesSource.HTTP_ROUTE, KubernetesSource.GRPC_ROUTE)) {
            Weighed route = producerRoute(kind);
            if (route != null) {
                return route;
            }
        }
        List<GenericKubernetesResource> defaults = list(KubernetesSource.TRAFFIC_SPLIT, false).stream()
                .filter(this::isDefaultSplitOfService).toList();
        if (defaults.isEmpty()) {
            throw new IllegalArgumentException("no TrafficSplit, HTTPRoute or GRPCRoute for service \"" + service + "\" in namespace "
                    + namespace + " of " + where() + " (a split without matches whose spec.service is " + service
                    + ", or a route whose parentRefs name the Service, with a rule without matches)");
        }
        if (defaults.size() > 1) {
            throw new IllegalArgumentException("TrafficSplits " + defaults.stream().map(s -> s.getMetadata().getName()).toList()
                    + " in namespace " + namespace + " are all default splits of " + service + "; delete all but one");
        }
        return new Weighed(defaults.get(0), KubernetesSource.TRAFFIC_SPLIT, -1);
    }

    /** The service's producer route of {@code kind} with a rule without matches; null when no route of that kind routes it. */
    private Weighed producerRoute(KubernetesSource.CustomKind kind) throws IOException {
        List<Weighed> routes = new ArrayList<>();
        List<String> routesWithoutDefault = new ArrayList<>();
        for (GenericKubernetesResource route : list(kind, true)) {
            if (routesService(route)) {
                int rule = defaultRule(route);
                if (rule >= 0) {
                    routes.add(new Weighed(route, kind, rule));
                } else {
                    routesWithoutDefault.add(route.getMetadata().getName());
                }
            }
        }
        TrafficSplitFiles.requireOneRoute(kind.kind(), routes.stream().map(r -> r.object().getMetadata().getName()).toList(),
                routesWithoutDefault, namespace, service);
        return routes.isEmpty() ? null : routes.get(0);
    }

    /** The namespace's objects of {@code kind}; none when {@code optional} and the cluster does not serve the kind (404). */
    private List<GenericKubernetesResource> list(KubernetesSource.CustomKind kind, boolean optional) throws IOException {
        try {
            return client.genericKubernetesResources(kind.context()).inNamespace(namespace).list().getItems();
        } catch (KubernetesClientException e) {
            if (optional && e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return List.of();
            }
            throw new IOException("cannot list " + kind.kind() + "s in namespace " + namespace + " of " + where() + " ("
                    + client.getMasterUrl() + "): " + ApiErrors.reason(e), e);
        }
    }

    private boolean isDefaultSplitOfService(GenericKubernetesResource split) {
        Map<String, Object> spec = spec(split);
        Object matches = spec.get("matches");
        return service.equals(spec.get("service")) && (matches == null || matches instanceof List<?> l && l.isEmpty());
    }

    /** A producer route of the service: parentRefs name it as a core Service of this namespace. */
    private boolean routesService(GenericKubernetesResource route) {
        if (!(spec(route).get("parentRefs") instanceof List<?> parents)) {
            return false;
        }
        for (Object parent : parents) {
            if (parent instanceof Map<?, ?> ref && "Service".equals(ref.get("kind")) && service.equals(ref.get("name"))
                    && (ref.get("group") == null || "".equals(ref.get("group")) || "core".equals(ref.get("group")))
                    && (ref.get("namespace") == null || namespace.equals(ref.get("namespace")))) {
                return true;
            }
        }
        return false;
    }

    /** The first rule without matches, or whose one match is {@code {}} or only {@code PathPrefix /}; -1 when none. */
    private static int defaultRule(GenericKubernetesResource route) {
        List<Object> rules = rules(route);
        for (int i = 0; i < rules.size(); i++) {
            Object matches = rules.get(i) instanceof Map<?, ?> rule ? rule.get("matches") : null;
            if (!(matches instanceof List<?> list) || list.isEmpty()
                    || list.size() == 1 && list.get(0) instanceof Map<?, ?> match && matchesEverything(match)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean matchesEverything(Map<?, ?> match) {
        if (match.isEmpty()) {
            return true;
        }
        return match.size() == 1 && match.get("path") instanceof Map<?, ?> path
                && "PathPrefix".equals(path.get("type") == null ? "PathPrefix" : path.get("type"))
                && "/".equals(path.get("value") == null ? "/" : path.get("value"));
    }

    private SplitSnapshot snapshot(Weighed found) {
        Map<String, Long> weights = new LinkedHashMap<>();
        List<Map<String, Object>> backends = found.backends();
        for (int i = 0; i < backends.size(); i++) {
            Object weight = backends.get(i).getOrDefault("weight", found.route() ? 1 : null);
            if (!(weight instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException(found.title(namespace) + ": " + found.field() + "[" + i + "].weight: "
                        + weight + " is not an integer; mesh split and mesh canary write integer weights");
            }
            if (found.route() && backends.get(i).get("namespace") != null && !namespace.equals(backends.get(i).get("namespace"))) {
                throw new IllegalArgumentException(found.title(namespace) + ": " + found.field() + "[" + i + "]: "
                        + backends.get(i).get("namespace") + "/" + backends.get(i).get("name")
                        + " is not a Service of the route's namespace; mesh split and mesh canary weigh those only");
            }
            weights.put(String.valueOf(backends.get(i).get(found.nameKey())), n.longValue());
        }
        Map<String, String> annotations = found.object().getMetadata().getAnnotations();
        return new SplitSnapshot(weights, annotations == null ? null : annotations.get(TrafficSplitFiles.STATUS_ANNOTATION));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource object) {
        Object spec = object.getAdditionalProperties().get("spec");
        if (spec instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        Map<String, Object> created = new LinkedHashMap<>();
        object.getAdditionalProperties().put("spec", created);
        return created;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> rules(GenericKubernetesResource route) {
        return spec(route).get("rules") instanceof List<?> rules ? (List<Object>) rules : List.of();
    }

    private static int indexOf(Weighed found, List<Map<String, Object>> backends, String backend) {
        for (int i = 0; i < backends.size(); i++) {
            if (backend.equals(backends.get(i).get(found.nameKey()))) {
                return i;
            }
        }
        return -1;
    }

    private String where() {
        return "cluster " + cluster;
    }
}
