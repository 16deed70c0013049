package io.meshwork.controlplane.xds;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The xDS server: java-control-plane's ADS (SotW and delta) and per-type services on a grpc-java
 * Netty server, fed one snapshot per proxy group. Each new {@link MeshSnapshot} regenerates every
 * connected group; a group that fails validation keeps its last good snapshot.
 */
public final class AdsServer implements Consumer<MeshSnapshot>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdsServer.class);
    /** Fewer groups than this are regenerated on the calling thread: the pool would cost more than it saves. */
    private static final int PARALLEL_FROM = 8;

    private final InetSocketAddress address;
    private final ResourceGenerator generator;
    private final GroupValidator validator;
    private final StreamAwareCache cache;
    private final ProxyRegistry registry;
    private final XdsMetrics metrics;
    private final V3DiscoveryServer discoveryServer;
    /** Regenerates groups on a new mesh snapshot: a few threads, as translation is CPU work. */
    private final ExecutorService regenerators = Executors.newFixedThreadPool(
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), daemonThreads("meshwork-xds-regenerate"));
    /** Per group, the problems last logged, so that a config that stays broken is reported once. */
    private final Map<String, List<String>> reportedProblems = new HashMap<>();
    /** A copy of {@link #reportedProblems} for readers off the lock (the Gateway status). */
    private volatile Map<String, List<String>> rejectedGroups = Map.of();
    private volatile Consumer<String> groupListener = group -> { };
    private MeshSnapshot current;
    /** Wraps the resources of the current mesh snapshot's groups for the library, each shared resource once. */
    private SharedSnapshots snapshots = new SharedSnapshots();
    /** The latest mesh snapshot that every connected group accepted: what a newcomer gets while the current one is rejected. */
    private MeshSnapshot lastGood;
    /** The largest xDS request accepted: 64 MiB, as the sidecar's client accepts for responses. */
    public static final int MAX_MESSAGE_BYTES = 64 << 20;

    private volatile boolean hasConfig;
    private volatile Server server;
    private volatile boolean refusePlaintextGateways;

    public AdsServer(InetSocketAddress address, ResourceGenerator generator, GroupKeys groupKeys,
                     GroupValidator validator, MeterRegistry meters) {
        this.address = address;
        this.generator = generator;
        this.validator = validator;
        this.metrics = new XdsMetrics(meters, this::connectedProxies);
        SharedResourceSerializer serializer = new SharedResourceSerializer();
        this.cache = new StreamAwareCache(groupKeys::groupOf, serializer::nameOf);
        this.registry = new ProxyRegistry(groupKeys, this::ensureGroup, metrics, Clock.systemUTC());
        this.discoveryServer = new V3DiscoveryServer(List.of(registry, cache), cache, new DefaultExecutorGroup(),
                serializer);
    }

    /**
     * From now on this (plaintext) port refuses gateway nodes ({@link PlaintextGatewayRefusal}): in a cluster, where
     * their config holds private keys read from Secrets, gateways are served only on the CA's authenticated port.
     */
    public AdsServer refusePlaintextGateways() {
        this.refusePlaintextGateways = true;
        return this;
    }

    /** Starts listening; returns once the port is bound. */
    public AdsServer start() throws IOException {
        io.grpc.BindableService ads = discoveryServer.getAggregatedDiscoveryServiceImpl();
        server = NettyServerBuilder.forAddress(address)
                .addService(refusePlaintextGateways ? io.grpc.ServerInterceptors.intercept(ads, new PlaintextGatewayRefusal())
                        : ads.bindService())
                .addService(discoveryServer.getClusterDiscoveryServiceImpl())
                .addService(discoveryServer.getEndpointDiscoveryServiceImpl())
                .addService(discoveryServer.getListenerDiscoveryServiceImpl())
                .addService(discoveryServer.getRouteDiscoveryServiceImpl())
                .addService(new LoadReportSink())
                // A sidecar's EDS request names every cluster it uses (about 60 bytes each): past ~70,000
                // clusters that is more than grpc's default 4 MiB, so the limit is raised deliberately.
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                // Proxies hold their stream for hours; allow their keepalive pings.
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .build()
                .start();
        return this;
    }

    /** The aggregated discovery service, for the CA's TLS port to serve to authenticated sidecars as well. */
    public io.grpc.BindableService aggregatedService() {
        return discoveryServer.getAggregatedDiscoveryServiceImpl();
    }

    /** The bound port (useful when started on port 0). */
    public int port() {
        Server s = server;
        if (s == null) {
            throw new IllegalStateException("xDS server on " + address + " is not started");
        }
        return s.getPort();
    }

    public String host() {
        return address.getHostString();
    }

    public boolean listening() {
        Server s = server;
        return s != null && !s.isShutdown();
    }

    /** Whether a first mesh snapshot has arrived. */
    public boolean hasConfig() {
        return hasConfig;
    }

    private int connectedProxies() {
        return registry.connectedCount();
    }

    public ProxyRegistry proxies() {
        return registry;
    }

    public XdsMetrics metrics() {
        return metrics;
    }

    /**
     * Whether the proxies of {@code group} are programmed with its current config: how many are connected, how many
     * ACKed every type the server last sent them, and why the config is refused (the server's validation of the
     * group, or a proxy's NACK of the version last sent), null when it is not.
     */
    public GroupProgramming programming(String group) {
        List<String> rejected = rejectedGroups.get(group);
        List<ProxyStatus> members = registry.proxies(group);
        int acked = 0;
        String refused = rejected == null || rejected.isEmpty() ? null : "the control plane refused its config: "
                + String.join("; ", rejected);
        for (ProxyStatus proxy : members) {
            boolean inSync = proxy.sent().containsKey(Resources.V3.LISTENER_TYPE_URL)
                    && proxy.sent().entrySet().stream().allMatch(e -> e.getValue().equals(proxy.acked().get(e.getKey())));
            ProxyStatus.Nack nack = proxy.lastNack();
            if (inSync) {
                acked++;
            } else if (nack != null && refused == null && nack.version().equals(proxy.sent().get(nack.typeUrl()))) {
                refused = "proxy " + proxy.id() + " refused version " + nack.version() + ": " + nack.message();
            }
        }
        return new GroupProgramming(members.size(), acked, refused);
    }

    /** See {@link #programming(String)}. */
    public record GroupProgramming(int connected, int acked, String refused) {
    }

    /**
     * Calls {@code listener} with a group whose {@link #programming(String)} may have changed: a proxy of it connected,
     * left, ACKed or NACKed, or the server refused or accepted its config again. It must be quick.
     */
    public void onGroupChange(Consumer<String> listener) {
        groupListener = listener;
        registry.onGroupChange(listener);
    }

    /** Takes a new mesh snapshot: regenerates and, where anything changed, pushes every connected group. */
    @Override
    public synchronized void accept(MeshSnapshot snapshot) {
        long arrivalNanos = System.nanoTime();
        current = snapshot;
        snapshots = new SharedSnapshots();
        hasConfig = true;
        Map<String, Node> groups = registry.groups();
        Map<GroupResources.TypeVersions, Validated> validated = new ConcurrentHashMap<>();
        Map<List<String>, List<String>> rejected = new LinkedHashMap<>();
        for (Generated generated : generateAll(snapshot, groups, validated)) {
            apply(generated, arrivalNanos, true, rejected);
        }
        report(rejected);
        // Groups whose proxies have all gone are dropped; the library refuses while a watch is open.
        for (String group : List.copyOf(cache.groups())) {
            if (!groups.containsKey(group)) {
                cache.clearSnapshot(group);
                reportedProblems.remove(group);
            }
        }
        if (reportedProblems.isEmpty()) {
            lastGood = snapshot;
        }
        publishRejected();
    }

    private void publishRejected() {
        Map<String, List<String>> copy = new HashMap<>();
        reportedProblems.forEach((group, problems) -> {
            if (problems != null) {
                copy.put(group, problems);
            }
        });
        Map<String, List<String>> before = rejectedGroups;
        rejectedGroups = Map.copyOf(copy);
        java.util.Set<String> changed = new java.util.HashSet<>(before.keySet());
        changed.addAll(copy.keySet());
        changed.removeIf(group -> java.util.Objects.equals(before.get(group), copy.get(group)));
        changed.forEach(groupListener);
    }

    /**
     * Generates and validates every group, on the pool when there are many (each group's work is
     * independent; the generator and validator are called from several threads), in group order.
     */
    private List<Generated> generateAll(MeshSnapshot mesh, Map<String, Node> groups,
                                        Map<GroupResources.TypeVersions, Validated> validated) {
        List<Callable<Generated>> tasks = new ArrayList<>();
        groups.forEach((group, node) -> tasks.add(() -> generate(mesh, group, node, validated)));
        List<Generated> results = new ArrayList<>();
        if (tasks.size() >= PARALLEL_FROM) {
            try {
                for (Future<Generated> future : regenerators.invokeAll(tasks)) {
                    results.add(future.get());
                }
                return results;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | RejectedExecutionException e) {
                // generate() catches what a generator throws; this is the pool itself failing or closed
                LOG.debug("regenerating groups on the pool failed; regenerating them one by one", e);
            }
            results.clear();
        }
        for (Callable<Generated> task : tasks) {
            try {
                results.add(task.call());
            } catch (Exception e) {
                throw new IllegalStateException("generate() does not throw", e);
            }
        }
        return results;
    }

    /**
     * Gives a newly connected proxy's group a snapshot from the current mesh, if it has none yet;
     * from the last good mesh if the current one is rejected for this group.
     */
    private synchronized void ensureGroup(String group, Node node) {
        if (current == null || cache.getSnapshot(group) != null) {
            return;
        }
        Map<List<String>, List<String>> rejected = new LinkedHashMap<>();
        apply(generate(current, group, node, new HashMap<>()), System.nanoTime(), false, rejected);
        report(rejected);
        if (cache.getSnapshot(group) == null && lastGood != null && lastGood != current) {
            List<String> currentProblems = reportedProblems.get(group);
            apply(generate(lastGood, group, node, new HashMap<>()), System.nanoTime(), false, new LinkedHashMap<>());
            // Still broken for the current mesh: remembered, so that it is not reported again.
            reportedProblems.put(group, currentProblems);
            if (cache.getSnapshot(group) != null) {
                LOG.warn("group {}: serving mesh version {}, the last good one, while version {} is rejected", group,
                        lastGood.version(), current.version());
            }
        }
        if (reportedProblems.isEmpty()) {
            lastGood = current;
        }
        publishRejected();
    }

    /**
     * Regenerates and validates one group; touches no state of the server but {@code validated} and the
     * thread-safe {@code snapshots}, so groups may be generated in parallel.
     *
     * @param validated the groups already validated for this mesh snapshot, by versions: a group
     *     with the same resources shares their Snapshot, so it is built and checked once and the
     *     library serializes its resources once
     */
    private Generated generate(MeshSnapshot mesh, String group, Node node,
                               Map<GroupResources.TypeVersions, Validated> validated) {
        List<String> problems = new ArrayList<>();
        Snapshot snapshot = null;
        try {
            GroupResources resources = generator.generate(mesh, group, node);
            Validated same = validated.get(resources.versions());
            if (same != null && same.resources.equals(resources)) {
                snapshot = same.snapshot;
            } else {
                problems.addAll(validator.problems(group, resources));
                problems.addAll(ReferenceGuard.problems(resources));
                if (problems.isEmpty()) {
                    snapshot = snapshots.create(resources);
                    validated.put(resources.versions(), new Validated(resources, snapshot));
                }
            }
        } catch (RuntimeException e) {
            problems.add("generation failed: " + e);
        }
        return new Generated(group, snapshot, problems);
    }

    /** One group's new snapshot, or the problems that keep it from being served. */
    private record Generated(String group, Snapshot snapshot, List<String> problems) {
    }

    /**
     * Sets a generated group's snapshot if it is valid and its versions changed.
     *
     * @param rejected collects newly seen problems → the groups that have them, to report once
     */
    private void apply(Generated generated, long arrivalNanos, boolean measure, Map<List<String>, List<String>> rejected) {
        String group = generated.group();
        List<String> problems = generated.problems();
        if (!problems.isEmpty()) {
            // A group that stays broken in the same way is reported once, not on every change.
            if (!problems.equals(reportedProblems.put(group, List.copyOf(problems)))) {
                rejected.computeIfAbsent(List.copyOf(problems), p -> new ArrayList<>()).add(group);
            }
            return;
        }
        reportedProblems.remove(group);
        Snapshot snapshot = generated.snapshot();
        Snapshot previous = cache.getSnapshot(group);
        Map<String, String> changed = changedVersions(previous, snapshot);
        if (changed.isEmpty()) {
            return;
        }
        if (measure) {
            registry.expectAcks(group, changed, arrivalNanos);
        }
        cache.setSnapshot(group, snapshot);
        LOG.debug("group {}: set versions {}", group, changed);
    }

    private record Validated(GroupResources resources, Snapshot snapshot) {
    }

    /** One log line and one config error per distinct set of problems, however many groups share it. */
    private void report(Map<List<String>, List<String>> rejected) {
        rejected.forEach((problems, groups) -> {
            metrics.configError();
            String names = groups.size() <= 5 ? String.join(", ", groups)
                    : String.join(", ", groups.subList(0, 5)) + " and " + (groups.size() - 5) + " more";
            LOG.error("generated config rejected for {} group(s) ({}); each keeps its last good config, if any: {}",
                    groups.size(), names, String.join("; ", problems));
        });
    }

    /** Type URL → new version, for each type whose version differs from {@code previous}. */
    private static Map<String, String> changedVersions(Snapshot previous, Snapshot next) {
        Map<String, String> changed = new HashMap<>();
        Map<Resources.ResourceType, String> typeUrls = Map.of(
                Resources.ResourceType.CLUSTER, Resources.V3.CLUSTER_TYPE_URL,
                Resources.ResourceType.ENDPOINT, Resources.V3.ENDPOINT_TYPE_URL,
                Resources.ResourceType.LISTENER, Resources.V3.LISTENER_TYPE_URL,
                Resources.ResourceType.ROUTE, Resources.V3.ROUTE_TYPE_URL,
                Resources.ResourceType.SECRET, Resources.V3.SECRET_TYPE_URL);
        typeUrls.forEach((type, typeUrl) -> {
            String version = next.version(type);
            if (previous == null || !version.equals(previous.version(type))) {
                changed.put(typeUrl, version);
            }
        });
        return changed;
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() throws InterruptedException {
        regenerators.shutdownNow();
        Server s = server;
        if (s != null) {
            s.shutdownNow();
            s.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
