package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.Gateways;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshCircuitBreaker;
import io.meshwork.controlplane.model.MeshRetry;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.MeshTimeout;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.ReferenceGrant;
import io.meshwork.controlplane.model.TlsSecret;
import io.meshwork.controlplane.model.Policies;
import io.meshwork.controlplane.model.SidecarScope;
import io.meshwork.controlplane.model.TrafficTarget;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads the local-mode config ({@code *.yaml} and {@code *.yml} in one folder, several documents per
 * file) into a {@link MeshSnapshot}, with every problem found.
 *
 * <p>Bad input never costs what was already accepted. A rejected document is left out, and if it
 * declared an object that the previous load accepted, that previous version is kept. A file that is
 * not valid YAML (or cannot be read, or is empty: a write in progress) keeps all the objects the
 * previous load took from it; a file holding only comments has none. Of two documents declaring the
 * same object, the one accepted before wins, else the first by file name and document index. A
 * TrafficSplit whose references are broken is rejected, not the Services it names. Two TrafficSplits
 * without matches for the same root service conflict: neither is applied, and the root service is
 * served unsplit until one of them goes.
 *
 * <p>The loader remembers the last accepted objects between calls; use one loader per folder.
 *
 * <p>This is also the one conversion and validation of Kubernetes-shaped objects that every source
 * shares: Kubernetes mode hands it each object it watches as a one-document "file" named after the
 * object ({@link #load(Map)}), so an object means the same, and fails with the same message, in a
 * folder and in a cluster. Only where workloads and endpoints come from differs ({@link EndpointSource}).
 */
public final class LocalConfigLoader {

    private final DocumentParser parser = new DocumentParser();
    private final ConfigInputLimits limits;
    private final EndpointSource endpointSource;
    private Map<ConfigObject.Key, ConfigObject> lastGood = Map.of();
    /**
     * Per file name, the text of the last load and what parsing it gave: parsing is a pure function
     * of (file name, text), so a file whose text is unchanged is not parsed again. Only the files of
     * the last load are kept, so a removed file's entry goes with it.
     */
    private Map<String, ParsedFile> parsed = Map.of();
    private long filesParsed;

    /** Local mode: endpoints are picked among the Workload objects by each Service's selector. */
    public LocalConfigLoader() {
        this(ConfigInputLimits.DEFAULT);
    }

    /** A loader that refuses, before parsing, any file over {@code limits}. */
    public LocalConfigLoader(ConfigInputLimits limits) {
        this(limits, EndpointSource.WORKLOAD_OBJECTS);
    }

    /** With the workloads and endpoints taken from {@code endpointSource} (Kubernetes: EndpointSlices and Pods). */
    public LocalConfigLoader(EndpointSource endpointSource) {
        this(ConfigInputLimits.DEFAULT, endpointSource);
    }

    public LocalConfigLoader(ConfigInputLimits limits, EndpointSource endpointSource) {
        this.limits = limits;
        this.endpointSource = endpointSource;
    }

    /** Reads every YAML file directly in {@code dir} (hidden files are skipped: editors' temporaries). */
    public synchronized LoadResult load(Path dir) throws IOException {
        SortedMap<String, FileText> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path path : (Iterable<Path>) entries::iterator) {
                String name = path.getFileName().toString();
                if (name.startsWith(".") || !(name.endsWith(".yaml") || name.endsWith(".yml")) || !Files.isRegularFile(path)) {
                    continue;
                }
                try {
                    files.put(name, new FileText(limits.read(path), null));
                } catch (ConfigInputLimits.Refused e) {
                    files.put(name, new FileText(null, e.getMessage()));
                } catch (NoSuchFileException e) {
                    // Removed between listing and reading: it is gone, like its objects.
                } catch (IOException e) {
                    files.put(name, new FileText(null, "cannot be read: " + e));
                }
            }
        }
        return loadFiles(files);
    }

    /** Reads the given files (name → YAML text) as if they were the whole folder. */
    public synchronized LoadResult load(Map<String, String> fileNameToYaml) {
        SortedMap<String, FileText> files = new TreeMap<>();
        fileNameToYaml.forEach((name, text) -> {
            try {
                limits.check(text);
                files.put(name, new FileText(text, null));
            } catch (ConfigInputLimits.Refused e) {
                files.put(name, new FileText(null, e.getMessage()));
            }
        });
        return loadFiles(files);
    }

    /** How many files were parsed (YAML and documents) so far; unchanged files are not counted again. */
    synchronized long filesParsed() {
        return filesParsed;
    }

    private record FileText(String text, String error) {
    }

    /** The outcome of parsing one file's text: its documents' outcomes, or the syntax error that failed it. */
    private record ParsedFile(String text, List<DocumentOutcome> outcomes, YamlDocuments.SyntaxError syntaxError) {
    }

    private LoadResult loadFiles(SortedMap<String, FileText> files) {
        List<ConfigProblem> problems = new ArrayList<>();
        CandidateObjects candidates = new CandidateObjects(lastGood, problems);
        // Grouped once: looking them up per file would scan every object for every file.
        Map<String, List<ConfigObject>> lastGoodByFile = lastGood.values().stream()
                .collect(Collectors.groupingBy(o -> o.source().file()));
        Map<String, ParsedFile> nowParsed = new HashMap<>();
        files.forEach((file, content) -> readFile(file, content, lastGoodByFile.getOrDefault(file, List.of()), candidates,
                problems, nowParsed));
        parsed = nowParsed;
        Map<ConfigObject.Key, ConfigObject> accepted = SplitAcceptance.accept(candidates.objects, lastGood, problems);
        lastGood = accepted;
        MeshSnapshot snapshot = snapshot(accepted.values());
        problems.addAll(AccessWarnings.of(accepted.values(), snapshot));
        problems.addAll(PolicyWarnings.of(accepted.values(), snapshot));
        problems.addAll(HttpRouteWarnings.of(accepted.values(), snapshot));
        problems.addAll(GatewayWarnings.of(accepted.values(), snapshot));
        problems.sort(Comparator.comparing(ConfigProblem::file).thenComparingInt(ConfigProblem::documentIndex)
                .thenComparingInt(ConfigProblem::line));
        return new LoadResult(snapshot, problems);
    }

    private void readFile(String file, FileText content, List<ConfigObject> lastFromFile, CandidateObjects candidates,
                          List<ConfigProblem> problems, Map<String, ParsedFile> nowParsed) {
        if (content.text() != null && content.text().isEmpty() && !lastFromFile.isEmpty()) {
            // Zero bytes is what a reader sees between an editor's truncate and its write.
            lastFromFile.forEach(candidates::offerLastGood);
            problems.add(ConfigProblem.warning(new SourceLocation(file, 1, 0), "", null, "", "file is empty (being written?); "
                    + "still serving the " + lastFromFile.size() + " object(s) last accepted from it; delete the file to remove them"));
            return;
        }
        List<DocumentOutcome> outcomes;
        try {
            if (content.error() != null) {
                throw new YamlDocuments.SyntaxError(1, 0, content.error());
            }
            ParsedFile parsedFile = parse(file, content.text());
            nowParsed.put(file, parsedFile);
            if (parsedFile.syntaxError() != null) {
                throw parsedFile.syntaxError();
            }
            outcomes = parsedFile.outcomes();
        } catch (YamlDocuments.SyntaxError e) {
            lastFromFile.forEach(candidates::offerLastGood);
            ConfigProblem problem = ConfigProblem.error(new SourceLocation(file, e.documentIndex, e.line), "", null, "", e.getMessage());
            problems.add(lastFromFile.isEmpty() ? problem : problem.withNote("still serving the " + lastFromFile.size()
                    + " object(s) last accepted from this file"));
            return;
        }
        for (DocumentOutcome outcome : outcomes) {
            if (outcome instanceof DocumentOutcome.Accepted a) {
                candidates.offer(a.object());
                problems.addAll(a.warnings());
            } else if (outcome instanceof DocumentOutcome.Rejected r) {
                Optional<ConfigObject> previous = r.key() != null
                        ? Optional.ofNullable(lastGood.get(r.key()))
                        : lastFromFile.stream().filter(o -> o.source().sameDocument(r.problem().location())).findFirst();
                previous.ifPresent(candidates::offerLastGood);
                problems.add(previous.map(p -> r.problem().withNote("still serving the last accepted version of "
                        + p.key() + " (from " + p.source().document() + ")")).orElse(r.problem()));
            } else if (outcome instanceof DocumentOutcome.Ignored i) {
                problems.add(i.warning());
            }
        }
    }

    /** The file's parse outcome: the last one if its text is unchanged, else parsed now. */
    private ParsedFile parse(String file, String text) {
        ParsedFile last = parsed.get(file);
        if (last != null && last.text().equals(text)) {
            return last;
        }
        filesParsed++;
        try {
            List<DocumentOutcome> outcomes = new ArrayList<>();
            for (YamlDocuments.Document document : YamlDocuments.read(file, text, limits)) {
                outcomes.add(parser.parse(file, document.index(), document.root()));
            }
            return new ParsedFile(text, List.copyOf(outcomes), null);
        } catch (YamlDocuments.SyntaxError e) {
            return new ParsedFile(text, List.of(), e);
        }
    }

    private MeshSnapshot snapshot(java.util.Collection<ConfigObject> objects) {
        Map<ObjectRef, MeshService> services = ConfigObject.valuesOf(objects, ConfigKind.SERVICE, MeshService.class);
        Map<ObjectRef, TrafficSplit> splits = ConfigObject.valuesOf(objects, ConfigKind.TRAFFIC_SPLIT, TrafficSplit.class);
        Map<ObjectRef, HttpRouteGroup> groups = ConfigObject.valuesOf(objects, ConfigKind.HTTP_ROUTE_GROUP, HttpRouteGroup.class);
        Map<ObjectRef, SidecarScope> sidecars = ConfigObject.valuesOf(objects, ConfigKind.SIDECAR, SidecarScope.class);
        Map<ObjectRef, PeerAuthentication> peerAuthentications =
                ConfigObject.valuesOf(objects, ConfigKind.PEER_AUTHENTICATION, PeerAuthentication.class);
        Map<ObjectRef, TrafficTarget> trafficTargets =
                ConfigObject.valuesOf(objects, ConfigKind.TRAFFIC_TARGET, TrafficTarget.class);
        Policies policies = new Policies(new TreeMap<>(ConfigObject.valuesOf(objects, ConfigKind.MESH_TIMEOUT, MeshTimeout.class)),
                new TreeMap<>(ConfigObject.valuesOf(objects, ConfigKind.MESH_RETRY, MeshRetry.class)),
                new TreeMap<>(ConfigObject.valuesOf(objects, ConfigKind.MESH_CIRCUIT_BREAKER, MeshCircuitBreaker.class)),
                new TreeMap<>(ConfigObject.valuesOf(objects, ConfigKind.MESH_FAULT_INJECTION,
                        io.meshwork.controlplane.model.MeshFaultInjection.class)),
                new TreeMap<>(ConfigObject.valuesOf(objects, ConfigKind.MESH_RATE_LIMIT,
                        io.meshwork.controlplane.model.MeshRateLimit.class)),
                new TreeMap<>(ConfigObject.valuesOf(objects, ConfigKind.MESH_MIRROR,
                        io.meshwork.controlplane.model.MeshMirror.class)));
        Map<ObjectRef, HttpRoute> httpRoutes = ConfigObject.valuesOf(objects, ConfigKind.HTTP_ROUTE, HttpRoute.class);
        Map<ObjectRef, HttpRoute> grpcRoutes = ConfigObject.valuesOf(objects, ConfigKind.GRPC_ROUTE, HttpRoute.class);
        TreeMap<String, Gateways.GatewayClass> classes = new TreeMap<>();
        ConfigObject.valuesOf(objects, ConfigKind.GATEWAY_CLASS, Gateways.GatewayClass.class).values()
                .forEach(c -> classes.putIfAbsent(c.name(), c));
        Gateways gateways = new Gateways(classes, ConfigObject.valuesOf(objects, ConfigKind.GATEWAY, Gateway.class),
                ConfigObject.valuesOf(objects, ConfigKind.REFERENCE_GRANT, ReferenceGrant.class),
                ConfigObject.valuesOf(objects, ConfigKind.SECRET, TlsSecret.class));
        EndpointSource.Resolved resolved = endpointSource.resolve(services.values(),
                ConfigObject.valuesOf(objects, ConfigKind.WORKLOAD, Workload.class));
        String version = SnapshotVersion.of(services.values(), resolved.workloads().values(), splits.values(),
                groups.values(), sidecars.values(), peerAuthentications.values(), trafficTargets.values(), policies,
                java.util.stream.Stream.concat(httpRoutes.values().stream(), grpcRoutes.values().stream()).toList(), gateways,
                resolved.versionText());
        return new MeshSnapshot(version, new TreeMap<>(services), new TreeMap<>(resolved.workloads()),
                new TreeMap<>(resolved.endpoints()), new TreeMap<>(splits), new TreeMap<>(groups), new TreeMap<>(sidecars),
                new TreeMap<>(peerAuthentications), new TreeMap<>(trafficTargets), policies, TrustBundle.NONE,
                new TreeMap<>(httpRoutes), gateways, new TreeMap<>(grpcRoutes));
    }
}
