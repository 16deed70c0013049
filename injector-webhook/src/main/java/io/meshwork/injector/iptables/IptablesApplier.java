package io.meshwork.injector.iptables;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Installs the capture rules with {@code iptables-restore}, atomically (one commit of the nat
 * table) and idempotently (the previous {@code MESH_*} rules are replaced, others kept).
 */
public final class IptablesApplier {

    private final List<String> wrapper;
    private final String binaryPrefix;

    /** {@code binaryPrefix} is {@code iptables}, or {@code iptables-legacy} / {@code iptables-nft} to choose a backend. */
    public IptablesApplier(String binaryPrefix) {
        this(List.of(), binaryPrefix);
    }

    /** Runs the iptables tools through {@code wrapper}, for example {@code ip netns exec NS}. */
    public IptablesApplier(List<String> wrapper, String binaryPrefix) {
        this.wrapper = List.copyOf(wrapper);
        this.binaryPrefix = binaryPrefix;
    }

    /** Applies the rules and returns the table text that was restored. */
    public String apply(CaptureConfig config) {
        String current = run(command(binaryPrefix + "-save", "-t", "nat"), null);
        String table = IptablesRules.merge(current, config);
        run(command(binaryPrefix + "-restore"), table);
        return table;
    }

    private List<String> command(String... args) {
        List<String> command = new java.util.ArrayList<>(wrapper);
        command.addAll(List.of(args));
        return command;
    }

    private static String run(List<String> command, String stdin) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": no answer after 30 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue()
                        + "): " + output.trim() + (stdin == null ? "" : "\ninput was:\n" + stdin));
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(command.get(0) + " interrupted", e);
        }
    }
}
