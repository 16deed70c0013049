package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshSnapshot;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the local-mode config folder and hands each changed {@link MeshSnapshot} to a consumer.
 *
 * <p>Any change in the folder (a write, a file created, removed, or renamed into place as editors and
 * Kubernetes ConfigMap mounts do) starts a reload once the folder has been quiet for {@code quiet}
 * (100 ms), and at the latest {@code maxDelay} (1 s) after the first change, so a stream of writes
 * cannot hold a reload back. Each problem is logged once, as one WARN line, until it is fixed; a
 * snapshot is handed on only when its version differs from the last one handed on.
 *
 * <p>A reload that fails with anything thrown (an {@link OutOfMemoryError} included), or a watching
 * thread that died, makes {@link #healthy()} false, logged as one ERROR line: the control plane is then
 * not ready, since later edits would not be applied. The next change in the folder (the bad file fixed
 * or removed) reloads, and a good reload makes it healthy again.
 */
public final class LocalConfigWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalConfigWatcher.class);
    public static final Duration DEFAULT_QUIET = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(1);

    private final Path dir;
    private final Consumer<MeshSnapshot> consumer;
    private final long quietNanos;
    private final long maxDelayNanos;
    private final Consumer<String> problemLog;
    private final Loader loader;
    private volatile LoadResult lastResult;
    /** Why the last reload failed, or null when it did not. */
    private volatile String failure;
    private volatile boolean closed;
    private String deliveredVersion;
    private Set<String> loggedProblems = Set.of();
    private WatchService watchService;
    private Thread thread;

    public LocalConfigWatcher(Path dir, Consumer<MeshSnapshot> consumer) {
        this(dir, consumer, DEFAULT_QUIET, DEFAULT_MAX_DELAY);
    }

    public LocalConfigWatcher(Path dir, Consumer<MeshSnapshot> consumer, Duration quiet, Duration maxDelay) {
        this(dir, consumer, quiet, maxDelay, problem -> log.warn("config: {}", problem));
    }

    /** As above, with each new problem handed to {@code problemLog} (once, until it is fixed) instead of logged. */
    public LocalConfigWatcher(Path dir, Consumer<MeshSnapshot> consumer, Duration quiet, Duration maxDelay, Consumer<String> problemLog) {
        this(dir, consumer, quiet, maxDelay, problemLog, new LocalConfigLoader()::load);
    }

    /** As above, reading the folder with {@code loader} (a {@link LocalConfigLoader} with chosen limits, say). */
    public LocalConfigWatcher(Path dir, Consumer<MeshSnapshot> consumer, Duration quiet, Duration maxDelay, Consumer<String> problemLog,
                              Loader loader) {
        this.loader = loader;
        this.problemLog = problemLog;
        this.dir = dir.toAbsolutePath();
        this.consumer = consumer;
        this.quietNanos = quiet.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
    }

    /**
     * Loads the folder once, hands the snapshot to the consumer (on this thread), then watches on a
     * daemon thread. Fails when the folder cannot be watched.
     */
    public synchronized LoadResult start() throws IOException {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        watchService = dir.getFileSystem().newWatchService();
        // Registered before the first load, so that a change made during that load is not missed.
        register();
        reload();
        thread = new Thread(this::watch, "meshwork-config-watcher");
        thread.setDaemon(true);
        thread.start();
        log.info("watching {} for config changes", dir);
        return lastResult;
    }

    /** What reads the folder into a result: {@link LocalConfigLoader#load(Path)}. */
    @FunctionalInterface
    public interface Loader {
        LoadResult load(Path dir) throws IOException;
    }

    /**
     * False while the last reload failed (until one succeeds) or the watching thread is dead: edits
     * would not be applied.
     */
    public boolean healthy() {
        Thread t = thread;
        return failure == null && (closed || t == null || t.isAlive());
    }

    /** The result of the latest load (the snapshot served and the problems found). */
    public LoadResult lastResult() {
        return lastResult;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        if (watchService != null) {
            watchService.close();
        }
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void register() throws IOException {
        dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
    }

    private void watch() {
        while (!closed) {
            try {
                watchChanges();
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return; // closed: stop quietly
            } catch (Throwable t) {
                failed("watching", t);
                try {
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(maxDelayNanos));
                    // Changes may have gone unseen meanwhile: read the folder again.
                    synchronized (this) {
                        if (!closed) {
                            reload();
                        }
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable again) {
                    failed("watching", again);
                }
            }
        }
    }

    private void watchChanges() throws InterruptedException {
        boolean pending = false;
        long firstChange = 0;
        long lastChange = 0;
        while (!closed) {
            WatchKey key;
            if (!pending) {
                key = watchService.take();
            } else {
                long wait = Math.min(lastChange + quietNanos, firstChange + maxDelayNanos) - System.nanoTime();
                key = wait > 0 ? watchService.poll(wait, TimeUnit.NANOSECONDS) : null;
            }
            if (key != null) {
                // Which file changed does not matter: every reload reads the whole folder.
                key.pollEvents();
                long now = System.nanoTime();
                if (!pending) {
                    pending = true;
                    firstChange = now;
                }
                lastChange = now;
                if (!key.reset()) {
                    awaitFolder();
                }
                continue;
            }
            pending = false;
            synchronized (this) {
                if (!closed) {
                    reload();
                }
            }
        }
    }

    private void failed(String what, Throwable t) {
        failure = what + ": " + t;
        // The stack trace of an OutOfMemoryError is itself an allocation; the message is enough to act on.
        log.error("config watcher failed {} {}: {}; not ready (edits are not applied) until a reload succeeds "
                + "(fix or remove the file that caused it)", what, dir, t.toString());
    }

    /** The folder itself went away: keep serving the last config and watch for it to come back. */
    private void awaitFolder() throws InterruptedException {
        log.warn("config folder {} is gone; still serving the last config until it comes back", dir);
        while (!closed) {
            if (Files.isDirectory(dir)) {
                try {
                    register();
                    log.info("config folder {} is back; watching it again", dir);
                    return;
                } catch (IOException e) {
                    // removed again between the check and the registration: keep waiting
                }
            }
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(maxDelayNanos));
        }
    }

    private void reload() {
        LoadResult result;
        try {
            result = loader.load(dir);
        } catch (IOException e) {
            log.warn("cannot read config folder {}: {}; still serving the last config", dir, e.toString());
            return;
        } catch (Throwable t) {
            // Not even an OutOfMemoryError may stop the watching: the last config stays, the next change retries.
            failed("reloading", t);
            return;
        }
        if (failure != null) {
            log.info("config watcher recovered: {} reloaded", dir);
            failure = null;
        }
        lastResult = result;
        Set<String> problems = new LinkedHashSet<>();
        result.problems().forEach(p -> problems.add(p.toString()));
        for (String problem : problems) {
            if (!loggedProblems.contains(problem)) {
                problemLog.accept(problem);
            }
        }
        loggedProblems = problems;
        MeshSnapshot snapshot = result.snapshot();
        if (snapshot.version().equals(deliveredVersion)) {
            return;
        }
        deliveredVersion = snapshot.version();
        log.info("config {}: version {} ({} services, {} workloads, {} traffic splits, {} route groups, {} problems)",
                dir, snapshot.version(), snapshot.services().size(), snapshot.workloads().size(),
                snapshot.splits().size(), snapshot.routeGroups().size(), problems.size());
        try {
            consumer.accept(snapshot);
        } catch (RuntimeException e) {
            log.error("config consumer failed on version {}", snapshot.version(), e);
        }
    }
}
