package io.meshwork.cli.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@code mesh} subcommands as child JVMs (each with its own log file), waits until each says
 * it is ready, and stops every one of them — on {@link #close()}, and on Ctrl-C through a shutdown hook.
 */
public final class ProcessSupervisor implements AutoCloseable {

    /** A started child: its name, process and log file. */
    public record Child(String name, Process process, Path log) {
    }

    private final Path logDir;
    private final List<Child> children = Collections.synchronizedList(new ArrayList<>());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private final Thread shutdownHook = new Thread(this::stopOnExit, "mesh-demo-cleanup");

    public ProcessSupervisor(Path logDir) throws IOException {
        this.logDir = Files.createDirectories(logDir);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Runs {@code mesh <args>} in a child JVM with the given JVM options. */
    public Child start(String name, List<String> jvmOptions, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.meshwork.cli.Main");
        command.addAll(args);
        Path log = logDir.resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Child child = new Child(name, process, log);
        children.add(child);
        return child;
    }

    /** Waits until {@code url} answers 200, failing early with the child's last log lines if it exits. */
    public void awaitReady(Child child, URI url, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!child.process().isAlive()) {
                throw new IOException(child.name() + " exited with code " + child.process().exitValue() + ":\n"
                        + tail(child.log(), 15));
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IOException(child.name() + " was not ready at " + url + " within " + timeout.toSeconds() + "s:\n"
                + tail(child.log(), 15));
    }

    public List<Child> children() {
        synchronized (children) {
            return List.copyOf(children);
        }
    }

    /** Stops one child: SIGTERM, then SIGKILL after five seconds. */
    public void stop(Child child) {
        child.process().destroy();
        try {
            if (!child.process().waitFor(5, TimeUnit.SECONDS)) {
                child.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            child.process().destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.remove(child);
    }

    /** On Ctrl-C (or any JVM exit before {@link #close()}): stops every child and says which, in one line. */
    private void stopOnExit() {
        List<String> names = children().stream().filter(c -> c.process().isAlive()).map(Child::name).toList();
        stopAll();
        if (!names.isEmpty()) {
            System.err.println("stopped " + names.size() + " processes (" + String.join(", ", names) + "); their logs are in "
                    + logDir);
        }
    }

    private void stopAll() {
        List<Child> all = children();
        all.forEach(c -> c.process().destroy());
        for (Child c : all) {
            try {
                if (!c.process().waitFor(5, TimeUnit.SECONDS)) {
                    c.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                c.process().destroyForcibly();
            }
        }
        children.clear();
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
