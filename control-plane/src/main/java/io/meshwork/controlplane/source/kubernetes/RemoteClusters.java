package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshwork.controlplane.source.local.EndpointSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other clusters of a multi-cluster mesh, whose Services and endpoints this control plane merges
 * into its own (Istio's multi-primary): each is read through its own informers ({@link ClusterInformers}).
 * Clusters come from {@code --remote-kubeconfig NAME=FILE} and from kubeconfig Secrets in the control
 * plane's namespace labelled {@value #SECRET_LABEL}{@code =true} (one cluster per Secret, data key
 * {@value #SECRET_KEY}, named by the annotation {@value #NAME_ANNOTATION} or else the Secret), added and
 * dropped while running. A remote that stops answering keeps its last endpoints for {@code staleAfter}
 * (marked stale), then they are dropped until it answers again. A Secret with a bad kubeconfig is
 * reported once and disturbs no other cluster.
 */
public final class RemoteClusters implements AutoCloseable {

    public static final String SECRET_LABEL = "meshwork.io/multicluster";
    public static final String SECRET_KEY = "kubeconfig";
    public static final String NAME_ANNOTATION = "meshwork.io/cluster";
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofMinutes(5);
    /**
     * How long a new remote may take to list everything before it counts as not answering, unless a list or watch
     * fails first (a large remote on a busy API server takes tens of seconds).
     */
    private static final Duration FIRST_SYNC = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(RemoteClusters.class);

    /** One remote: its informers, where it came from, since when it has not been watching (null while it is). */
    private static final class Remote {
        final ClusterInformers informers;
        final String origin;
        final Instant added = Instant.now();
        volatile Instant unreachableSince;
        volatile boolean dropped;

        Remote(ClusterInformers informers, String origin) {
            this.informers = informers;
            this.origin = origin;
        }
    }

    /** What {@code /debug/clusters} shows of one remote. */
    public record Status(String name, String origin, String server, String state, Instant unreachableSince, int services) {
    }

    private final String localCluster;
    private final Duration staleAfter;
    private final Map<String, Remote> remotes = new ConcurrentHashMap<>();
    private final Set<String> reportedBadSecrets = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "meshwork-remote-clusters");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Runnable changed = () -> { };
    private final java.util.concurrent.atomic.AtomicInteger secretsRead = new java.util.concurrent.atomic.AtomicInteger();
    private SharedIndexInformer<Secret> secrets;

    public RemoteClusters(String localCluster, Duration staleAfter) {
        this.localCluster = localCluster;
        this.staleAfter = staleAfter;
        ticker.scheduleWithFixedDelay(this::checkReachability, 1, 1, TimeUnit.SECONDS);
    }

    /** Who to tell when a remote's objects change or a remote comes, goes, or goes stale (the source's rebuild). */
    void onChange(Runnable changed) {
        this.changed = changed;
    }

    /** Reads cluster {@code name} through {@code client} from now on (replacing one of the same name). */
    public void add(String name, KubernetesClient client, String origin) {
        if (name.equals(localCluster)) {
            client.close();
            throw new IllegalArgumentException("remote cluster " + name + " (" + origin + ") has this control plane's own "
                    + "cluster name; give each cluster its own --cluster NAME");
        }
        Remote previous = remotes.put(name, new Remote(new ClusterInformers(name, client, () -> changed.run()), origin));
        if (previous != null) {
            previous.informers.close();
        }
        LOG.info("remote cluster {} added ({}, API server {})", name, origin, client.getMasterUrl());
        changed.run();
    }

    /** Stops reading cluster {@code name}; its endpoints leave the mesh at the next rebuild. */
    public void remove(String name) {
        Remote gone = remotes.remove(name);
        if (gone != null) {
            gone.informers.close();
            LOG.info("remote cluster {} removed ({})", name, gone.origin);
            changed.run();
        }
    }

    /** Follows the kubeconfig Secrets labelled {@value #SECRET_LABEL}=true in {@code namespace} of the local cluster. */
    public void watchSecrets(KubernetesClient local, String namespace) {
        secrets = local.secrets().inNamespace(namespace).withLabel(SECRET_LABEL, "true").inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret secret) {
                fromSecret(secret);
            }

            @Override
            public void onUpdate(Secret before, Secret after) {
                if (!java.util.Objects.equals(before.getData(), after.getData())
                        || !java.util.Objects.equals(clusterName(before), clusterName(after))) {
                    remove(clusterName(before));
                    fromSecret(after);
                }
            }

            @Override
            public void onDelete(Secret secret, boolean finalStateUnknown) {
                remove(clusterName(secret));
            }
        });
        LOG.info("watching Secrets labelled {}=true in namespace {} for remote clusters", SECRET_LABEL, namespace);
    }

    /** How many labelled Secrets have been read so far, each either added as a remote or reported as unusable. */
    public int secretsRead() {
        return secretsRead.get();
    }

    private void fromSecret(Secret secret) {
        String origin = "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
        String name = clusterName(secret);
        try {
            String encoded = secret.getData() == null ? null : secret.getData().get(SECRET_KEY);
            if (encoded == null) {
                throw new IllegalArgumentException("has no data key \"" + SECRET_KEY + "\"");
            }
            String kubeconfig = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
            Config config = Config.fromKubeconfig(null, kubeconfig, null);
            add(name, new KubernetesClientBuilder().withConfig(config).build(), origin);
            reportedBadSecrets.remove(origin);
        } catch (RuntimeException e) {
            if (reportedBadSecrets.add(origin)) {
                LOG.warn("{}: not a usable kubeconfig for remote cluster {} ({}); other clusters are not affected", origin,
                        name, e.getMessage());
            }
        } finally {
            secretsRead.incrementAndGet();
        }
    }

    private static String clusterName(Secret secret) {
        Map<String, String> annotations = secret.getMetadata().getAnnotations();
        String named = annotations == null ? null : annotations.get(NAME_ANNOTATION);
        return named != null && !named.isBlank() ? named : secret.getMetadata().getName();
    }

    /** Marks remotes that stopped answering, and drops the endpoints of those past the grace period. */
    private void checkReachability() {
        Instant now = Instant.now();
        for (Remote remote : remotes.values()) {
            boolean watching = remote.informers.watching();
            if (watching) {
                if (remote.unreachableSince != null) {
                    LOG.info("remote cluster {} answers again{}", remote.informers.name(),
                            remote.dropped ? "; its endpoints are back" : "");
                    boolean wasDropped = remote.dropped;
                    remote.unreachableSince = null;
                    remote.dropped = false;
                    if (wasDropped) {
                        changed.run();
                    }
                }
            } else if (remote.unreachableSince == null) {
                if (!remote.informers.listedOnce() && !remote.informers.failing()
                        && now.isBefore(remote.added.plus(FIRST_SYNC))) {
                    continue; // still listing for the first time
                }
                remote.unreachableSince = now;
                LOG.warn("remote cluster {} does not answer ({}); keeping its last endpoints for {} s", remote.informers.name(),
                        remote.informers.server(), staleAfter.toSeconds());
            } else if (!remote.dropped && now.isAfter(remote.unreachableSince.plus(staleAfter))) {
                remote.dropped = true;
                LOG.warn("remote cluster {} has not answered for {} s: its endpoints leave the mesh until it answers",
                        remote.informers.name(), staleAfter.toSeconds());
                changed.run();
            }
        }
    }

    /** The remotes whose endpoints are served now (answering, or stale within the grace period), by name. */
    List<ClusterInformers> serving() {
        List<ClusterInformers> serving = new ArrayList<>();
        new TreeMap<>(remotes).values().forEach(r -> {
            if (!r.dropped) {
                serving.add(r.informers);
            }
        });
        return serving;
    }

    /** Every remote's state, for {@code /debug/clusters}: {@code synced}, {@code stale} (not answering) or {@code dropped}. */
    public List<Status> status() {
        List<Status> all = new ArrayList<>();
        new TreeMap<>(remotes).values().forEach(r -> all.add(new Status(r.informers.name(), r.origin, r.informers.server(),
                r.dropped ? "dropped" : r.unreachableSince != null ? "stale" : r.informers.watching() ? "synced" : "syncing",
                r.unreachableSince, r.informers.services().size())));
        return all;
    }

    /** {@link #status()} as JSON, for the admin endpoint's {@code /debug/clusters}. */
    public String statusJson() {
        StringBuilder json = new StringBuilder("[");
        for (Status s : status()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("{\"name\":").append(quoted(s.name())).append(",\"origin\":").append(quoted(s.origin()))
                    .append(",\"server\":").append(quoted(s.server())).append(",\"state\":").append(quoted(s.state()))
                    .append(",\"unreachableSince\":").append(s.unreachableSince() == null ? "null"
                            : quoted(s.unreachableSince().toString()))
                    .append(",\"services\":").append(s.services()).append('}');
        }
        return json.append(']').toString();
    }

    private static String quoted(String value) {
        return io.meshwork.controlplane.admin.ProxiesJson.string(new StringBuilder(), value).toString();
    }

    /** The endpoint source merging this cluster's ({@code local}) endpoints with every serving remote's. */
    EndpointSource merged(EndpointSource local) {
        return (services, workloadObjects) -> {
            EndpointSource.Resolved mine = local.resolve(services, workloadObjects);
            Map<io.meshwork.controlplane.model.ObjectRef, io.meshwork.controlplane.model.Workload> workloads =
                    new TreeMap<>(mine.workloads());
            Map<io.meshwork.controlplane.model.ObjectRef, List<io.meshwork.controlplane.model.ServiceEndpoint>> endpoints =
                    new TreeMap<>();
            mine.endpoints().forEach((ref, list) -> endpoints.put(ref, new ArrayList<>(list)));
            StringBuilder version = new StringBuilder(mine.versionText());
            for (ClusterInformers remote : serving()) {
                EndpointSource.Resolved theirs = remote.endpoints(true).resolve(services, Map.of());
                workloads.putAll(theirs.workloads());
                theirs.endpoints().forEach((ref, list) -> endpoints.computeIfAbsent(ref, r -> new ArrayList<>()).addAll(list));
                version.append("cluster ").append(remote.name()).append('\n').append(theirs.versionText());
            }
            return new EndpointSource.Resolved(workloads, endpoints, version.toString());
        };
    }

    /** Services of the remotes that this cluster does not have, the first cluster by name winning: they join the mesh. */
    List<Service> servicesOnlyRemote(Set<String> localServices) {
        Map<String, Service> only = new TreeMap<>();
        for (ClusterInformers remote : serving()) {
            for (Service service : remote.services()) {
                String key = service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
                if (!localServices.contains(key)) {
                    only.putIfAbsent(key, service);
                }
            }
        }
        return new ArrayList<>(only.values());
    }

    /**
     * A warning for each Service that the clusters define with different ports. The mesh service has this cluster's
     * ports (or, when only remotes have it, the first remote's by name), and every cluster's endpoints join it by port
     * name: another cluster's endpoints behind a port name it lacks are left out, and its own clients would call
     * another port number than this cluster's clients do.
     */
    List<ConfigProblem> portDisagreements(Collection<Service> localServices) {
        Map<String, Map<String, String>> portsByService = new TreeMap<>();
        String here = localCluster.isEmpty() ? "this cluster" : localCluster;
        localServices.forEach(s -> portsByService.computeIfAbsent(key(s), k -> new LinkedHashMap<>()).put(here, ports(s)));
        for (ClusterInformers remote : serving()) {
            remote.services().forEach(s -> portsByService.computeIfAbsent(key(s), k -> new LinkedHashMap<>())
                    .put(remote.name(), ports(s)));
        }
        List<ConfigProblem> problems = new ArrayList<>();
        portsByService.forEach((service, byCluster) -> {
            if (new java.util.HashSet<>(byCluster.values()).size() < 2) {
                return;
            }
            StringBuilder clusters = new StringBuilder();
            byCluster.forEach((cluster, ports) -> clusters.append(clusters.length() == 0 ? "" : ", ")
                    .append(cluster).append(" has [").append(ports).append(']'));
            String first = byCluster.keySet().iterator().next();
            String[] namespaced = service.split("/", 2);
            io.meshwork.controlplane.model.ObjectRef ref = io.meshwork.controlplane.model.ObjectRef.of(namespaced[0], namespaced[1]);
            problems.add(new ConfigProblem(ConfigProblem.Severity.WARNING, "Service " + service, 0, 0, "Service", ref,
                    "spec.ports", "the clusters disagree on its ports: " + clusters + "; the mesh service has " + first
                    + "'s, and other clusters' endpoints join it only under a port name " + first + " has"));
        });
        return problems;
    }

    private static String key(Service service) {
        return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
    }

    /** "http 9080/TCP, grpc 9090/TCP", by port number. */
    private static String ports(Service service) {
        List<io.fabric8.kubernetes.api.model.ServicePort> ports = service.getSpec() == null || service.getSpec().getPorts() == null
                ? List.of() : service.getSpec().getPorts();
        return ports.stream().sorted(java.util.Comparator.comparing(io.fabric8.kubernetes.api.model.ServicePort::getPort))
                .map(p -> (p.getName() == null ? "" : p.getName() + " ") + p.getPort() + "/"
                        + (p.getProtocol() == null ? "TCP" : p.getProtocol()))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        if (secrets != null) {
            secrets.close();
        }
        remotes.values().forEach(r -> r.informers.close());
        remotes.clear();
    }
}
