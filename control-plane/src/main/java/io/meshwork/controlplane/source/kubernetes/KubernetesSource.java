package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshwork.controlplane.MeshSnapshotSource;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.EndpointSource;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh as one Kubernetes cluster holds it, read through fabric8 shared informers: Services,
 * TrafficSplits and HTTPRouteGroups go through the same conversion and validation as local mode's
 * files ({@link LocalConfigLoader}, one document per object), and Pods, EndpointSlices and Nodes
 * give the workloads and endpoints ({@link SliceEndpoints}).
 *
 * <p>Changes are debounced like the folder watch: a rebuild once the informers have been quiet for
 * {@code quiet} (100 ms), at most {@code maxDelay} (1 s) after the first change; a snapshot is handed
 * on only when its version changed. An expired watch (410 Gone) or a dropped connection is the
 * informers' to recover: they list again, and the rebuild after that sees every object as it is. An
 * object that fails validation is never served; its last accepted version stays (as in local mode),
 * and the reason is logged and recorded as an {@code InvalidConfig} Event on it. Meshwork's GatewayClasses and
 * Gateways ({@link GatewayStatuses}) and the HTTPRoutes and GRPCRoutes attached to Services or to those Gateways
 * ({@link RouteStatuses}) get their Gateway API status; only the leader writes Events and statuses.
 */
public final class KubernetesSource implements MeshSnapshotSource {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesSource.class);
    public static final Duration DEFAULT_QUIET = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(1);
    /** How long start() waits for a custom resource's first list (its CRD may be missing) before going on without it. */
    private static final Duration CUSTOM_RESOURCE_SYNC = Duration.ofSeconds(10);
    /** How long a rebuild waits for the first list of Secrets in a namespace a Gateway newly refers to. */
    private static final Duration FIRST_SECRETS_LIST = Duration.ofSeconds(5);

    /**
     * The custom resources read, at one version each. Their CRDs' conversion is None: an object written at
     * any served version (a v1alpha1 TrafficSplit, say) is served at this one with only apiVersion rewritten,
     * its fields kept because every version's schema carries the others' (mesh install's {@code crds.yaml});
     * the parsers read the older shapes by their content, as they do in a folder.
     */
    public record CustomKind(String group, String version, String kind, String plural) {
        /** Named in full, so no API discovery is needed to find the plural. */
        public ResourceDefinitionContext context() {
            return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
                    .withPlural(plural).withNamespaced(true).build();
        }
    }

    public static final CustomKind TRAFFIC_SPLIT = new CustomKind("split.smi-spec.io", "v1alpha4", "TrafficSplit", "trafficsplits");
    public static final CustomKind HTTP_ROUTE_GROUP = new CustomKind("specs.smi-spec.io", "v1alpha4", "HTTPRouteGroup",
            "httproutegroups");
    public static final CustomKind PEER_AUTHENTICATION = new CustomKind("meshwork.io", "v1alpha1", "PeerAuthentication",
            "peerauthentications");
    public static final CustomKind TRAFFIC_TARGET = new CustomKind("access.smi-spec.io", "v1alpha3", "TrafficTarget",
            "traffictargets");
    /** Workloads that are no pods (VMs), selected by Services' selectors as Istio's WorkloadEntry. */
    public static final CustomKind WORKLOAD = new CustomKind("meshwork.io", "v1alpha1", "Workload", "workloads");
    public static final CustomKind SIDECAR = new CustomKind("meshwork.io", "v1alpha1", "Sidecar", "sidecars");
    public static final CustomKind MESH_TIMEOUT = new CustomKind("meshwork.io", "v1alpha1", "MeshTimeout", "meshtimeouts");
    public static final CustomKind MESH_RETRY = new CustomKind("meshwork.io", "v1alpha1", "MeshRetry", "meshretries");
    /** The Gateway API's own CRDs, which users install themselves (as for Istio); not in mesh install's. */
    public static final CustomKind HTTP_ROUTE = new CustomKind("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes");
    public static final CustomKind GRPC_ROUTE = new CustomKind("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes");
    public static final CustomKind MESH_CIRCUIT_BREAKER = new CustomKind("meshwork.io", "v1alpha1", "MeshCircuitBreaker",
            "meshcircuitbreakers");
    public static final CustomKind MESH_FAULT_INJECTION = new CustomKind("meshwork.io", "v1alpha1", "MeshFaultInjection",
            "meshfaultinjections");
    public static final CustomKind MESH_RATE_LIMIT = new CustomKind("meshwork.io", "v1alpha1", "MeshRateLimit",
            "meshratelimits");
    public static final CustomKind MESH_MIRROR = new CustomKind("meshwork.io", "v1alpha1", "MeshMirror", "meshmirrors");
    /**
     * The edge (mesh gateway): GatewayClasses are cluster-scoped, listed the same way. The listeners' certificate Secrets
     * are no custom kind: {@link GatewaySecrets} watches them only in the namespaces Meshwork's Gateways refer to.
     */
    public static final CustomKind GATEWAY_CLASS = new CustomKind("gateway.networking.k8s.io", "v1", "GatewayClass",
            "gatewayclasses");
    public static final CustomKind GATEWAY = new CustomKind("gateway.networking.k8s.io", "v1", "Gateway", "gateways");
    public static final CustomKind REFERENCE_GRANT = new CustomKind("gateway.networking.k8s.io", "v1beta1",
            "ReferenceGrant", "referencegrants");
    static final List<CustomKind> CUSTOM_KINDS = List.of(TRAFFIC_SPLIT, HTTP_ROUTE_GROUP, PEER_AUTHENTICATION,
            TRAFFIC_TARGET, WORKLOAD, SIDECAR, MESH_TIMEOUT, MESH_RETRY, MESH_CIRCUIT_BREAKER, MESH_FAULT_INJECTION,
            MESH_RATE_LIMIT, MESH_MIRROR, HTTP_ROUTE, GRPC_ROUTE, GATEWAY_CLASS, GATEWAY, REFERENCE_GRANT);

    private final KubernetesClient client;
    private final long quietNanos;
    private final long maxDelayNanos;
    private final List<SharedIndexInformer<? extends HasMetadata>> configInformers = new ArrayList<>();
    private final List<SharedIndexInformer<?>> allInformers = new ArrayList<>();
    private final InvalidConfigEvents events;
    private final RouteStatuses routeStatuses;
    private final GatewayStatuses gatewayStatuses;
    private final ObjectDocuments documents;
    private SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<EndpointSlice> slices;
    private SharedIndexInformer<Node> nodes;
    private GatewaySecrets secrets;
    private LocalConfigLoader loader;
    private Consumer<MeshSnapshot> consumer;
    private Runnable configErrors;
    private String deliveredVersion;
    private Set<String> loggedProblems = Set.of();
    private boolean pending;
    private long firstChange;
    private long lastChange;
    private volatile boolean closed;
    private volatile boolean leading = true;
    private Thread thread;
    private String cluster = "";
    private RemoteClusters remotes;
    private volatile List<ConfigProblem> lastProblems = List.of();
    private final java.util.concurrent.atomic.AtomicLong rebuilds = new java.util.concurrent.atomic.AtomicLong();

    public KubernetesSource(KubernetesClient client) {
        this(client, DEFAULT_QUIET, DEFAULT_MAX_DELAY);
    }

    public KubernetesSource(KubernetesClient client, Duration quiet, Duration maxDelay) {
        this.client = client;
        this.quietNanos = quiet.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
        this.events = new InvalidConfigEvents(client);
        this.routeStatuses = new RouteStatuses(client);
        this.gatewayStatuses = new GatewayStatuses(client);
        this.documents = new ObjectDocuments(client.getKubernetesSerialization());
    }

    /** As {@link #KubernetesSource(KubernetesClient)}, writing nothing until {@link #leading(boolean) leading(true)}. */
    public static KubernetesSource follower(KubernetesClient client) {
        KubernetesSource source = new KubernetesSource(client);
        source.leading = false;
        return source;
    }

    /**
     * This cluster's name (stamped on its endpoints), and the other clusters whose Services and endpoints
     * join the mesh (multi-cluster); call before {@link #start}. The source closes {@code remotes} with itself.
     */
    public KubernetesSource withClusters(String cluster, RemoteClusters remotes) {
        this.cluster = cluster == null ? "" : cluster;
        this.remotes = remotes;
        return this;
    }

    /**
     * Lists and watches everything, hands the first snapshot to {@code snapshots} (on this thread),
     * then rebuilds on a daemon thread as the informers report changes.
     */
    @Override
    public void start(Consumer<MeshSnapshot> snapshots, Runnable configErrors) throws Exception {
        this.consumer = snapshots;
        this.configErrors = configErrors;
        ResourceEventHandler<Object> onChange = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                changed();
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                changed();
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                changed();
            }
        };
        EndpointSource local = (meshServices, workloadObjects) ->
                new SliceEndpoints(pods.getStore().list(), slices.getStore().list(), nodes.getStore().list(), cluster, false)
                        .resolve(meshServices, workloadObjects);
        if (remotes != null) {
            remotes.onChange(this::changed);
        }
        loader = new LocalConfigLoader(remotes == null ? local : remotes.merged(local));
        secrets = new GatewaySecrets(client, this::changed);
        // The core kinds exist in every cluster: wait for their first list.
        services = started(client.services().inAnyNamespace().runnableInformer(0), onChange);
        configInformers.add(services);
        pods = started(client.pods().inAnyNamespace().runnableInformer(0), onChange);
        slices = started(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0), onChange);
        nodes = started(client.nodes().runnableInformer(0), onChange);
        // Custom kinds may lack their CRD: all are started at once and given one wait together, not one each.
        List<java.util.concurrent.CompletableFuture<Void>> firstLists = new ArrayList<>();
        for (CustomKind kind : CUSTOM_KINDS) {
            SharedIndexInformer<io.fabric8.kubernetes.api.model.GenericKubernetesResource> informer = watched(client.genericKubernetesResources(
                    kind.context()).inAnyNamespace().runnableInformer(0), onChange);
            configInformers.add(informer);
            firstLists.add(informer.start().toCompletableFuture());
        }
        long deadline = System.nanoTime() + CUSTOM_RESOURCE_SYNC.toNanos();
        for (int i = 0; i < firstLists.size(); i++) {
            try {
                firstLists.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warn("no first list of {} within {} s (is its CRD installed? mesh install adds Meshwork's, the "
                        + "Gateway API's are the user's); going on without it until it comes", CUSTOM_KINDS.get(i).kind(),
                        CUSTOM_RESOURCE_SYNC.toSeconds());
            }
        }
        synchronized (this) {
            pending = false;
        }
        rebuild();
        thread = new Thread(this::debounce, "meshwork-kubernetes-source");
        thread.setDaemon(true);
        thread.start();
        LOG.info("watching Kubernetes at {} (Services, Pods, EndpointSlices, Nodes, TrafficSplits, HTTPRouteGroups, "
                        + "PeerAuthentications, TrafficTargets, Workloads, Sidecars, HTTPRoutes, Gateways, GatewayClasses, "
                        + "ReferenceGrants; the kubernetes.io/tls Secrets of Gateways' namespaces)",
                client.getMasterUrl());
    }

    /** {@code informer} watched, started, and waited for until its first list is in (a core kind every cluster has). */
    private <T extends HasMetadata> SharedIndexInformer<T> started(SharedIndexInformer<T> informer,
                                                                  ResourceEventHandler<Object> onChange) throws Exception {
        watched(informer, onChange);
        informer.start().toCompletableFuture().get();
        return informer;
    }

    /** {@code informer} with the change handler, retrying after a failed list or watch; not started. */
    private <T extends HasMetadata> SharedIndexInformer<T> watched(SharedIndexInformer<T> informer,
                                                                  ResourceEventHandler<Object> onChange) {
        String kind = informer.getApiTypeClass().getSimpleName();
        // Keep trying after a failed list or watch (a CRD installed later, an API server restarting).
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watching {}: {}; retrying", kind, t.getMessage());
            return true;
        });
        informer.addEventHandler(onChange);
        allInformers.add(informer);
        return informer;
    }

    /**
     * How far the {@code mesh gateway} proxies of a Gateway are with its config (what its {@code Programmed} condition
     * says): how many are connected, how many ACKed the config last sent, and why it is refused (null: it is not).
     */
    public record GatewayProgramming(int connected, int acked, String refused) {
    }

    /**
     * Where the Gateways' {@code Programmed} status comes from (the xDS server's view of each Gateway's proxies); call
     * {@link #refresh()} when it changes. Without one, every Gateway is Pending.
     */
    public KubernetesSource gatewayProgramming(java.util.function.Function<io.meshwork.controlplane.model.ObjectRef, GatewayProgramming> programming) {
        gatewayStatuses.programming(programming);
        return this;
    }

    /** Every problem of the last rebuild, errors and warnings (what {@code mesh analyze --kubeconfig} prints). */
    public List<ConfigProblem> problems() {
        return lastProblems;
    }

    /** How many rebuilds have read the informers so far: a caller waits for the next with {@link #refresh()}. */
    public long rebuilds() {
        return rebuilds.get();
    }

    /** Rebuilds soon, as after a change (for a caller that knows something the informers do not report). */
    public void refresh() {
        changed();
    }

    /** The cluster's pods as the informer holds them (empty before {@link #start}). */
    public List<Pod> pods() {
        SharedIndexInformer<Pod> informer = pods;
        return informer == null ? List.of() : informer.getStore().list();
    }

    /**
     * Whether this replica is the one that writes (Events): every replica serves xDS, only the leader
     * records. Becoming the leader rebuilds at once, so the problems standing now get their Events.
     */
    public void leading(boolean leading) {
        this.leading = leading;
        if (leading) {
            changed();
        }
    }

    private synchronized void changed() {
        long now = System.nanoTime();
        if (!pending) {
            pending = true;
            firstChange = now;
        }
        lastChange = now;
        notifyAll();
    }

    private void debounce() {
        try {
            while (!closed) {
                synchronized (this) {
                    if (!pending) {
                        wait();
                        continue;
                    }
                    long wait = Math.min(lastChange + quietNanos, firstChange + maxDelayNanos) - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.timedWait(this, wait);
                        continue;
                    }
                    pending = false;
                }
                // Outside the lock: the informers' threads report changes meanwhile, for the next rebuild.
                rebuild();
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** Reads every informer's store, converts and validates, reports problems, hands on a new snapshot. */
    private void rebuild() {
        if (closed) {
            return;
        }
        LoadResult result;
        Map<String, HasMetadata> objects = new HashMap<>();
        List<io.fabric8.kubernetes.api.model.Service> localServices = services.getStore().list();
        try {
            // A second round when the Gateways just read need the Secrets of a namespace not watched before (or no
            // longer need one): its first list is waited for, so a new HTTPS listener is served from its first snapshot.
            for (int round = 0; ; round++) {
                objects.clear();
                Map<String, String> texts = new HashMap<>();
                for (SharedIndexInformer<? extends HasMetadata> informer : configInformers) {
                    for (HasMetadata object : informer.getStore().list()) {
                        String name = ObjectDocuments.documentName(object);
                        objects.put(name, object);
                        texts.put(name, documents.text(object));
                    }
                }
                // The listeners' kubernetes.io/tls Secrets, read by the same parser as local mode's Secret documents.
                for (io.fabric8.kubernetes.api.model.Secret secret : secrets.secrets()) {
                    String name = ObjectDocuments.documentName(secret);
                    objects.put(name, secret);
                    texts.put(name, documents.text(secret));
                }
                if (remotes != null) {
                    // A Service only another cluster has joins the mesh as if it were here (its endpoints are theirs).
                    Set<String> here = new java.util.HashSet<>();
                    localServices.forEach(svc -> here.add(svc.getMetadata().getNamespace() + "/"
                            + svc.getMetadata().getName()));
                    for (io.fabric8.kubernetes.api.model.Service remote : remotes.servicesOnlyRemote(here)) {
                        String name = ObjectDocuments.documentName(remote);
                        objects.put(name, remote);
                        texts.put(name, documents.text(remote));
                    }
                }
                documents.retainOnly(objects.values());
                result = loader.load(texts);
                if (round > 0 || !secrets.watchOnly(secretNamespaces(result.snapshot().gateways()), FIRST_SECRETS_LIST)) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            LOG.error("rebuilding the mesh from Kubernetes failed; still serving the last config", e);
            return;
        }
        List<ConfigProblem> problems = forbiddenSecrets(result.problems(), result.snapshot().gateways(),
                secrets.forbidden());
        if (remotes != null) {
            problems.addAll(remotes.portDisagreements(localServices));
        }
        report(problems, objects);
        if (leading) {
            routeStatuses.update(objects, problems, result.snapshot());
        }
        lastProblems = List.copyOf(problems);
        MeshSnapshot snapshot = result.snapshot();
        if (!snapshot.version().equals(deliveredVersion)) {
            deliver(snapshot, result.errors().size());
        }
        if (leading) {
            // After the xDS server took the snapshot: a Gateway is Programmed once its gateways ACKed what it sends now.
            gatewayStatuses.update(objects, problems, snapshot);
        }
        rebuilds.incrementAndGet();
    }

    private void deliver(MeshSnapshot snapshot, int errors) {
        deliveredVersion = snapshot.version();
        LOG.info("kubernetes: version {} ({} services, {} workloads, {} traffic splits, {} route groups, {} problems)",
                snapshot.version(), snapshot.services().size(), snapshot.workloads().size(), snapshot.splits().size(),
                snapshot.routeGroups().size(), errors);
        try {
            consumer.accept(snapshot);
        } catch (RuntimeException e) {
            LOG.error("snapshot consumer failed on version {}", snapshot.version(), e);
        }
    }

    /**
     * The namespaces whose kubernetes.io/tls Secrets Meshwork's Gateways refer to (from their own namespace, or another
     * one a ReferenceGrant opens): the only ones whose Secrets are watched.
     */
    static Set<String> secretNamespaces(io.meshwork.controlplane.model.Gateways gateways) {
        Set<String> namespaces = new java.util.TreeSet<>();
        for (io.meshwork.controlplane.model.Gateway gateway : gateways.gateways().values()) {
            if (!gateways.ours(gateway)) {
                continue;
            }
            for (io.meshwork.controlplane.model.Gateway.Listener listener : gateway.listeners()) {
                for (io.meshwork.controlplane.model.ObjectRef certificate : listener.certificates()) {
                    if (gateways.permits("Gateway", gateway.ref().namespace(), "Secret", certificate)) {
                        namespaces.add(certificate.namespace());
                    }
                }
            }
        }
        return namespaces;
    }

    private static final java.util.regex.Pattern CERTIFICATE_FIELD =
            java.util.regex.Pattern.compile("spec\\.listeners\\[(\\d+)]\\.tls\\.certificateRefs\\[(\\d+)]");

    /**
     * {@code problems} with each missing certificate whose namespace the API server refuses to let this control plane
     * read (403) said as that: one line naming the Gateway, the listener, the Secret and the command that grants it.
     */
    static List<ConfigProblem> forbiddenSecrets(List<ConfigProblem> problems,
                                                io.meshwork.controlplane.model.Gateways gateways, Set<String> forbidden) {
        if (forbidden.isEmpty()) {
            return new ArrayList<>(problems);
        }
        List<ConfigProblem> said = new ArrayList<>();
        for (ConfigProblem problem : problems) {
            java.util.regex.Matcher field = CERTIFICATE_FIELD.matcher(problem.field());
            io.meshwork.controlplane.model.Gateway gateway = problem.object() == null ? null
                    : gateways.gateways().get(problem.object());
            if ("Gateway".equals(problem.kind()) && gateway != null && field.matches()
                    && Integer.parseInt(field.group(1)) < gateway.listeners().size()) {
                io.meshwork.controlplane.model.Gateway.Listener listener =
                        gateway.listeners().get(Integer.parseInt(field.group(1)));
                int c = Integer.parseInt(field.group(2));
                if (c < listener.certificates().size() && forbidden.contains(listener.certificates().get(c).namespace())) {
                    io.meshwork.controlplane.model.ObjectRef secret = listener.certificates().get(c);
                    said.add(new ConfigProblem(problem.severity(), problem.file(), problem.documentIndex(),
                            problem.line(), problem.kind(), problem.object(), problem.field(), "listener \""
                            + listener.name() + "\" is not served: the control plane may not read Secret " + secret
                            + " (403 Forbidden: it reads Secrets only in namespaces granted by mesh install --gateway); "
                            + "grant it with: mesh install --gateway " + gateway.ref().namespace() + "/"
                            + gateway.ref().name() + (secret.namespace().equals(gateway.ref().namespace()) ? ""
                                    : " (whose Role is in " + gateway.ref().namespace() + "; give namespace "
                                    + secret.namespace() + " the same Role and RoleBinding)")));
                    continue;
                }
            }
            said.add(problem);
        }
        return said;
    }

    /** Each new error: one WARN line, one config error counted, and an Event on the object. */
    private void report(List<ConfigProblem> problems, Map<String, HasMetadata> objects) {
        Set<String> now = new LinkedHashSet<>();
        for (ConfigProblem problem : problems) {
            if (problem.severity() != ConfigProblem.Severity.ERROR) {
                String line = problem.withoutLocation();
                now.add(line);
                if (!loggedProblems.contains(line)) {
                    LOG.warn("kubernetes: warning: {}", line);
                }
                continue;
            }
            String line = problem.withoutLocation();
            HasMetadata object = objects.get(problem.file());
            now.add(line);
            if (!loggedProblems.contains(line)) {
                LOG.warn("kubernetes: {}", line);
                configErrors.run();
            }
            if (leading && object != null && ObjectDocuments.recordsEvents(object)) {
                events.record(object, line);
            }
        }
        events.endRound();
        loggedProblems = now;
    }

    /** False once the rebuild thread died or an informer stopped: what is served could then be stale without end. */
    @Override
    public boolean healthy() {
        return thread != null && thread.isAlive() && allInformers.stream().allMatch(SharedIndexInformer::isRunning)
                && (secrets == null || secrets.healthy());
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        // The rebuild (and its status writes) ends before the watches close, so no write of ours is answered on a
        // watch that is closing.
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        allInformers.forEach(SharedIndexInformer::stop);
        if (secrets != null) {
            secrets.close();
        }
        if (remotes != null) {
            remotes.close();
        }
    }
}
