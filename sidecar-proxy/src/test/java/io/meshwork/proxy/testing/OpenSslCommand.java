package io.meshwork.proxy.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The openssl command as an independent TLS peer; tests skip (saying why) where it is missing. */
public final class OpenSslCommand {

    public record Result(int exitCode, String output) {
    }

    private OpenSslCommand() {
    }

    public static void assumeInstalled() {
        boolean found;
        try {
            found = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            found = false;
        }
        assumeTrue(found, "openssl is not installed (apt-get install openssl; .ci/run installs it)");
    }

    /**
     * Runs {@code openssl args} for at most {@code limit}, then stops it: for {@code s_client} to a
     * server that keeps the connection open, what it printed by then.
     */
    public static Result runFor(java.time.Duration limit, Path dir, String stdin, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        java.io.ByteArrayOutputStream output = new java.io.ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try {
                process.getInputStream().transferTo(output);
            } catch (IOException e) {
                // the process was stopped
            }
        });
        reader.start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
        }
        reader.join(5000);
        return new Result(process.isAlive() ? -1 : process.exitValue(), output.toString(StandardCharsets.UTF_8).trim());
    }

    /** Runs {@code openssl args} in {@code dir} with {@code stdin} as its input. */
    public static Result run(Path dir, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + " did not finish in 30 s");
        }
        return new Result(process.exitValue(), output.trim());
    }
}
