package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.Workload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads the local-mode config ({@code *.yaml} and {@code *.yml} in one folder, several documents per
 * file) into a {@link MeshSnapshot}, with every problem found.
 *
 * <p>Bad input never costs what was already accepted. A rejected document is left out, and if it
 * declared an object that the previous load accepted, that previous version is kept; a file that is
 * not valid YAML (or cannot be read, or is empty: a write in progress) keeps all the objects the
 * previous load took from it; a file holding only comments has no objects. Of two
 * documents declaring the same object, the one accepted before wins, else the first by file name and
 * document index. A TrafficSplit whose references are broken is rejected (not the Services it names).
 * Two TrafficSplits without matches for the same root service conflict: neither is applied, and the
 * root service is served unsplit until one of them goes.
 *
 * <p>The loader remembers the last accepted objects between calls; use one loader per folder.
 */
public final class LocalConfigLoader {

    private final DocumentParser parser = new DocumentParser();
    private Map<ConfigObject.Key, ConfigObject> lastGood = Map.of();

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
                    files.put(name, new FileText(Files.readString(path, StandardCharsets.UTF_8), null));
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
        fileNameToYaml.forEach((name, text) -> files.put(name, new FileText(text, null)));
        return loadFiles(files);
    }

    private record FileText(String text, String error) {
    }

    private LoadResult loadFiles(SortedMap<String, FileText> files) {
        List<ConfigProblem> problems = new ArrayList<>();
        Candidates candidates = new Candidates(problems);
        files.forEach((file, content) -> readFile(file, content, candidates, problems));
        Map<ConfigObject.Key, ConfigObject> accepted = acceptSplits(candidates.objects, problems);
        lastGood = accepted;
        problems.sort(Comparator.comparing(ConfigProblem::file).thenComparingInt(ConfigProblem::documentIndex)
                .thenComparingInt(ConfigProblem::line));
        return new LoadResult(snapshot(accepted.values()), problems);
    }

    private void readFile(String file, FileText content, Candidates candidates, List<ConfigProblem> problems) {
        List<ConfigObject> lastFromFile = lastGood.values().stream().filter(o -> o.source().file().equals(file)).toList();
        if (content.text() != null && content.text().isEmpty() && !lastFromFile.isEmpty()) {
            // Zero bytes is what a reader sees between an editor's truncate and its write.
            lastFromFile.forEach(candidates::offerLastGood);
            problems.add(ConfigProblem.warning(new SourceLocation(file, 1, 0), "", null, "", "file is empty (being written?); "
                    + "still serving the " + lastFromFile.size() + " object(s) last accepted from it; delete the file to remove them"));
            return;
        }
        List<YamlDocuments.Document> documents;
        try {
            if (content.error() != null) {
                throw new YamlDocuments.SyntaxError(1, 0, content.error());
            }
            documents = YamlDocuments.read(file, content.text());
        } catch (YamlDocuments.SyntaxError e) {
            lastFromFile.forEach(candidates::offerLastGood);
            ConfigProblem problem = ConfigProblem.error(new SourceLocation(file, e.documentIndex, e.line), "", null, "", e.getMessage());
            problems.add(lastFromFile.isEmpty() ? problem : problem.withNote("still serving the " + lastFromFile.size()
                    + " object(s) last accepted from this file"));
            return;
        }
        for (YamlDocuments.Document document : documents) {
            DocumentOutcome outcome = parser.parse(file, document.index(), document.root());
            if (outcome instanceof DocumentOutcome.Accepted a) {
                candidates.offer(a.object());
                problems.addAll(a.warnings());
            } else if (outcome instanceof DocumentOutcome.Rejected r) {
                Optional<ConfigObject> previous = r.key() != null
                        ? Optional.ofNullable(lastGood.get(r.key()))
                        : lastGood.values().stream().filter(o -> o.source().sameDocument(r.problem().location())).findFirst();
                previous.ifPresent(candidates::offerLastGood);
                problems.add(previous.map(p -> r.problem().withNote("still serving the last accepted version of "
                        + p.key() + " (from " + p.source().document() + ")")).orElse(r.problem()));
            } else if (outcome instanceof DocumentOutcome.Ignored i) {
                problems.add(i.warning());
            }
        }
    }

    /** The objects of this load by key, resolving duplicates as the class comment says. */
    private final class Candidates {
        final Map<ConfigObject.Key, ConfigObject> objects = new LinkedHashMap<>();
        private final java.util.Set<ConfigObject.Key> fromLastGood = new java.util.HashSet<>();
        private final List<ConfigProblem> problems;

        Candidates(List<ConfigProblem> problems) {
            this.problems = problems;
        }

        /** A document read in this load. */
        void offer(ConfigObject object) {
            ConfigObject existing = objects.putIfAbsent(object.key(), object);
            if (existing == null) {
                return;
            }
            if (fromLastGood.contains(object.key()) && existing.source().sameDocument(object.source())) {
                // The stand-in for a broken document turns out to be this very document, read fine now.
                objects.put(object.key(), object);
                fromLastGood.remove(object.key());
                return;
            }
            resolveDuplicate(existing, object);
        }

        /** An object kept from the last load because the document that now declares it is broken. */
        void offerLastGood(ConfigObject object) {
            ConfigObject existing = objects.putIfAbsent(object.key(), object);
            if (existing == null) {
                fromLastGood.add(object.key());
            } else if (!existing.source().sameDocument(object.source())) {
                resolveDuplicate(existing, object);
            }
        }

        private void resolveDuplicate(ConfigObject existing, ConfigObject object) {
            ConfigObject previous = lastGood.get(object.key());
            boolean newcomerWasAccepted = previous != null && previous.source().sameDocument(object.source())
                    && !previous.source().sameDocument(existing.source());
            ConfigObject keep = newcomerWasAccepted ? object : existing;
            ConfigObject drop = newcomerWasAccepted ? existing : object;
            objects.put(object.key(), keep);
            if (keep == object) {
                fromLastGood.remove(object.key());
            }
            problems.add(ConfigProblem.error(drop.locationOf("metadata.name"), drop.kind().kindName(), drop.ref(), "metadata.name",
                    "duplicate: " + keep.key() + " is already defined in " + keep.source().document()
                            + "; this one is ignored"));
        }
    }

    private Map<ConfigObject.Key, ConfigObject> acceptSplits(Map<ConfigObject.Key, ConfigObject> candidates,
                                                              List<ConfigProblem> problems) {
        TrafficSplitReferences references = new TrafficSplitReferences(
                valuesOf(candidates.values(), ConfigKind.SERVICE, MeshService.class),
                valuesOf(candidates.values(), ConfigKind.HTTP_ROUTE_GROUP, HttpRouteGroup.class));
        Map<ConfigObject.Key, ConfigObject> accepted = new LinkedHashMap<>();
        Map<ObjectRef, List<ConfigObject>> defaultSplitsByRoot = new TreeMap<>();
        for (ConfigObject object : candidates.values()) {
            if (object.kind() != ConfigKind.TRAFFIC_SPLIT) {
                accepted.put(object.key(), object);
                continue;
            }
            Optional<ConfigObject> split = checkReferences(object, references, problems);
            split.ifPresent(s -> {
                accepted.put(s.key(), s);
                TrafficSplit value = s.as(TrafficSplit.class);
                if (value.matches().isEmpty()) {
                    defaultSplitsByRoot.computeIfAbsent(value.rootService(), root -> new ArrayList<>()).add(s);
                }
            });
        }
        defaultSplitsByRoot.forEach((root, splits) -> {
            if (splits.size() < 2) {
                return;
            }
            for (ConfigObject split : splits) {
                accepted.remove(split.key());
                String others = splits.stream().filter(o -> o != split)
                        .map(o -> o.key() + " (" + o.source().document() + ")")
                        .reduce((a, b) -> a + ", " + b).orElseThrow();
                problems.add(ConfigProblem.error(split.locationOf("spec.service"), split.kind().kindName(), split.ref(),
                        "spec.service", "conflicts with " + others + ": both are the default split (no matches) of Service "
                                + root + "; neither is applied, so " + root.name() + " is served unsplit"));
            }
        });
        return accepted;
    }

    /** The split if its references hold, else its last accepted version if that one's do. */
    private Optional<ConfigObject> checkReferences(ConfigObject split, TrafficSplitReferences references,
                                                   List<ConfigProblem> problems) {
        Optional<TrafficSplitReferences.Broken> broken = references.check(split.as(TrafficSplit.class));
        if (broken.isEmpty()) {
            return Optional.of(split);
        }
        ConfigProblem problem = ConfigProblem.error(split.locationOf(broken.get().field()), split.kind().kindName(),
                split.ref(), broken.get().field(), broken.get().message());
        ConfigObject previous = lastGood.get(split.key());
        if (previous != null && !previous.value().equals(split.value())
                && references.check(previous.as(TrafficSplit.class)).isEmpty()) {
            problems.add(problem.withNote("still serving its last accepted version (from " + previous.source().document() + ")"));
            return Optional.of(previous);
        }
        problems.add(problem);
        return Optional.empty();
    }

    private static MeshSnapshot snapshot(java.util.Collection<ConfigObject> objects) {
        Map<ObjectRef, MeshService> services = valuesOf(objects, ConfigKind.SERVICE, MeshService.class);
        Map<ObjectRef, Workload> workloads = valuesOf(objects, ConfigKind.WORKLOAD, Workload.class);
        Map<ObjectRef, TrafficSplit> splits = valuesOf(objects, ConfigKind.TRAFFIC_SPLIT, TrafficSplit.class);
        Map<ObjectRef, HttpRouteGroup> groups = valuesOf(objects, ConfigKind.HTTP_ROUTE_GROUP, HttpRouteGroup.class);
        String version = SnapshotVersion.of(services.values(), workloads.values(), splits.values(), groups.values());
        return new MeshSnapshot(version, new TreeMap<>(services), new TreeMap<>(workloads),
                new TreeMap<>(EndpointResolver.resolve(services.values(), workloads.values())),
                new TreeMap<>(splits), new TreeMap<>(groups));
    }

    private static <T> SortedMap<ObjectRef, T> valuesOf(java.util.Collection<ConfigObject> objects, ConfigKind kind, Class<T> type) {
        SortedMap<ObjectRef, T> result = new TreeMap<>();
        objects.stream().filter(o -> o.kind() == kind).forEach(o -> result.put(o.ref(), o.as(type)));
        return result;
    }
}
