package io.meshwork.controlplane;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.source.local.ConfigInputLimits;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.source.local.LocalConfigWatcher;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.translate.ProxyResources;
import io.meshwork.controlplane.translate.SnapshotValidator;
import io.meshwork.controlplane.translate.TranslationCache;
import io.meshwork.controlplane.translate.Translator;
import io.meshwork.controlplane.xds.GroupResources;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The control plane of local mode: a watched folder of YAML files, translated for each proxy group. */
public final class LocalMode {

    private static final Logger log = LoggerFactory.getLogger(LocalMode.class);

    private LocalMode() {
    }

    /** A control plane serving {@code configDir}; call {@link ControlPlane#start()}. */
    public static ControlPlane controlPlane(ControlPlane.Options options, Path configDir) {
        return controlPlane(options, configDir, ConfigInputLimits.DEFAULT);
    }

    /** As above, refusing config files over {@code limits} before parsing them. */
    public static ControlPlane controlPlane(ControlPlane.Options options, Path configDir, ConfigInputLimits limits) {
        return new ControlPlane(options, folder(configDir, limits), translation());
    }

    /**
     * Meshwork's translator and validator, as the ADS server consumes them. The parts every proxy shares
     * (clusters, endpoints, per-namespace routes) are built once per snapshot, not once per group.
     */
    public static ControlPlane.Translation translation() {
        AtomicReference<TranslationCache> current = new AtomicReference<>();
        return new ControlPlane.Translation(
                (snapshot, group, node) -> {
                    TranslationCache cache = current.updateAndGet(
                            c -> c != null && c.snapshot() == snapshot ? c : Translator.forSnapshot(snapshot));
                    return toGroup(cache.translate(ProxyNode.fromNode(node)));
                },
                node -> ProxyNode.fromNode(node).groupKey(),
                // Groups share most resources, the cache's: each shared one is checked once, not once per group.
                (group, resources) -> SnapshotValidator.validate(new ProxyResources(resources.clusters(),
                        resources.endpoints(), resources.listeners(), resources.routes(), resources.secrets(),
                        resources.versions().clusters(), resources.versions().endpoints(),
                        resources.versions().listeners(), resources.versions().routes(),
                        resources.versions().secrets()), memoOf(current.get())));
    }

    /** A watched folder as a snapshot source; every problem found in it counts as one config error. */
    public static MeshSnapshotSource folder(Path configDir) {
        return folder(configDir, ConfigInputLimits.DEFAULT);
    }

    /** As above, refusing config files over {@code limits} before parsing them. */
    public static MeshSnapshotSource folder(Path configDir, ConfigInputLimits limits) {
        return new MeshSnapshotSource() {
            private LocalConfigWatcher watcher;

            @Override
            public void start(Consumer<MeshSnapshot> snapshots, Runnable configErrors) throws Exception {
                watcher = new LocalConfigWatcher(configDir, snapshots, LocalConfigWatcher.DEFAULT_QUIET,
                        LocalConfigWatcher.DEFAULT_MAX_DELAY, problem -> {
                            log.warn("config: {}", problem);
                            configErrors.run();
                        }, new LocalConfigLoader(limits)::load);
                watcher.start();
            }

            @Override
            public boolean healthy() {
                return watcher == null || watcher.healthy();
            }

            @Override
            public void close() throws Exception {
                if (watcher != null) {
                    watcher.close();
                }
            }
        };
    }

    private static SnapshotValidator.Memo memoOf(TranslationCache cache) {
        return cache == null ? null : cache.validationMemo();
    }

    private static GroupResources toGroup(ProxyResources r) {
        return new GroupResources(r.clusters(), r.endpoints(), r.listeners(), r.routes(), r.secrets(),
                new GroupResources.TypeVersions(r.clustersVersion(), r.endpointsVersion(), r.listenersVersion(),
                        r.routesVersion(), r.secretsVersion()));
    }
}
