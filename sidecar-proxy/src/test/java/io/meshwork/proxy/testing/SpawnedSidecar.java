package io.meshwork.proxy.testing;

import io.meshwork.proxy.SidecarJvm;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A sidecar in its own JVM with the flags file every launcher uses ({@link SidecarJvm}: 72 MB heap, 64 MB direct),
 * so a test can show that traffic does not need more memory than that.
 */
public final class SpawnedSidecar implements AutoCloseable {

    private final Process process;
    public final int outboundPort;
    public final int adminPort;

    public SpawnedSidecar(String xdsTarget, String workload, String namespace) throws IOException {
        this(xdsTarget, workload, namespace, java.nio.file.Path.of(System.getProperty("java.home")));
    }

    /** A sidecar on the Java runtime at {@code javaHome} (a jlink image, say) instead of the test's own. */
    public SpawnedSidecar(String xdsTarget, String workload, String namespace, java.nio.file.Path javaHome)
            throws IOException {
        outboundPort = FreePort.pick();
        adminPort = FreePort.pick();
        String java = javaHome.resolve("bin").resolve("java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(SidecarJvm.flags());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SpawnedSidecar.class.getName(),
                xdsTarget, workload, namespace, Integer.toString(outboundPort), Integer.toString(adminPort)));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(new File("target/spawned-sidecar.log")).start();
    }

    /** The child's peak resident set (VmHWM) in KiB, from /proc; -1 where /proc is missing. */
    public long peakRssKb() {
        return statusKb("VmHWM:");
    }

    /** The child's resident set now (VmRSS) in KiB, from /proc; -1 where /proc is missing. */
    public long rssKb() {
        return statusKb("VmRSS:");
    }

    private long statusKb(String field) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + process.pid()
                    + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** The child JVM's process id, for {@code jcmd}. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /** Entry point of the child JVM: xds target, workload, namespace, outbound port, admin port. */
    public static void main(String[] args) throws Exception {
        SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options(args[0],
                new NodeIdentity(args[1], args[2], "default", "spawned"), "127.0.0.1", Integer.parseInt(args[3]), 0,
                Integer.parseInt(args[4]), 0, 0, Duration.ofSeconds(1), 1)).start();
        Runtime.getRuntime().addShutdownHook(new Thread(sidecar::drainAndStop));
        sidecar.awaitStopped();
    }
}
