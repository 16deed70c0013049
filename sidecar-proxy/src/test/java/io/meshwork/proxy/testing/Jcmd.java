package io.meshwork.proxy.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks a running JVM about itself with the JDK's {@code jcmd} (the attach mechanism, which works with the sidecar's
 * {@code -XX:-UsePerfData}); a test using it is skipped, saying why, where the JDK has no {@code jcmd}.
 */
public final class Jcmd {

    private static final Pattern CLASSES = Pattern.compile("Total Usage - \\d+ loaders, (\\d+) classes");
    private static final Pattern MAX_HEAP = Pattern.compile("-XX:MaxHeapSize=(\\d+)");

    private final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    private final long pid;

    public Jcmd(long pid) {
        assumeTrue(Files.isExecutable(jcmd), jcmd + " is missing: these figures need a JDK's jcmd, not a JRE");
        this.pid = pid;
    }

    /** Classes loaded now, as {@code jcmd PID VM.metaspace} counts them (shared from a CDS archive or not). */
    public int loadedClasses() throws IOException, InterruptedException {
        return Integer.parseInt(find(CLASSES, "VM.metaspace"));
    }

    /** The heap's maximum the JVM runs with, in bytes ({@code jcmd PID VM.flags}). */
    public long maxHeapBytes() throws IOException, InterruptedException {
        return Long.parseLong(find(MAX_HEAP, "VM.flags"));
    }

    private String find(Pattern pattern, String command) throws IOException, InterruptedException {
        String output = run(command);
        Matcher matcher = pattern.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " printed no " + pattern + ":\n" + output);
        }
        return matcher.group(1);
    }

    private String run(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + output);
        }
        return output;
    }
}
