package io.meshwork.cli;

import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.source.local.ConfigInputLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh control-plane}: serves xDS to the mesh from a folder of YAML files (local mode). */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Run the control plane: read the mesh from a folder of YAML files, watch it, and serve xDS.")
public final class ControlPlaneCommand implements Callable<Integer> {

    @Option(names = "--config-dir", required = true, paramLabel = "DIR",
            description = "Folder of *.yaml files (Service, Workload, TrafficSplit, HTTPRouteGroup); watched for changes.")
    Path configDir;

    @Option(names = "--xds-port", defaultValue = "15010", paramLabel = "PORT", description = "xDS (ADS) gRPC port (default: ${DEFAULT-VALUE}).")
    int xdsPort;

    @Option(names = "--admin-port", defaultValue = "15014", paramLabel = "PORT",
            description = "Admin HTTP port: /ready, /debug/proxies, /metrics (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--address", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address both servers bind (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--max-config-file-size", defaultValue = "8MiB", paramLabel = "SIZE",
            description = "Largest config file read; a larger one is refused before parsing, keeping what was last "
                    + "accepted from it (bytes, or with KiB/MiB; default: ${DEFAULT-VALUE}).")
    String maxConfigFileSize;

    @Option(names = "--ca-port", defaultValue = "15012", paramLabel = "PORT",
            description = "CA service port, gRPC over TLS: sidecars send their CSR here (default: ${DEFAULT-VALUE}).")
    int caPort;

    @CommandLine.Mixin
    CaOptions ca;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(configDir)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--config-dir " + configDir + ": not a directory");
        }
        long maxFileBytes = byteSize(maxConfigFileSize);
        io.meshwork.certs.WorkloadCsrSigner signer = ca.signer(spec);
        ControlPlane controlPlane = wire(new ControlPlane.Options(address, xdsPort, adminPort), configDir,
                ConfigInputLimits.DEFAULT.withMaxFileBytes(maxFileBytes));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                controlPlane.close();
            } catch (Exception e) {
                System.err.println("error: stopping the control plane: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "control-plane-shutdown"));
        controlPlane.start();
        io.meshwork.controlplane.ca.CaServer caServer = new io.meshwork.controlplane.ca.CaServer(
                new java.net.InetSocketAddress(address, caPort), signer, ca.authenticator(), controlPlane.meters()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                caServer.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ca-shutdown"));
        stopped.await();
        return 0;
    }

    /** "8MiB", "512KiB", "1048576": bytes. */
    private long byteSize(String text) {
        String t = text.trim();
        long unit = 1;
        if (t.endsWith("MiB")) {
            unit = 1L << 20;
            t = t.substring(0, t.length() - 3);
        } else if (t.endsWith("KiB")) {
            unit = 1L << 10;
            t = t.substring(0, t.length() - 3);
        }
        try {
            long bytes = Math.multiplyExact(Long.parseLong(t.trim()), unit);
            if (bytes >= 1 && bytes < (1L << 31) - 8) {
                return bytes;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "--max-config-file-size " + text
                + ": not a size between 1 byte and 2 GiB (bytes, or a number with KiB or MiB)");
    }

    static ControlPlane wire(ControlPlane.Options options, Path configDir, ConfigInputLimits limits) {
        return io.meshwork.controlplane.LocalMode.controlPlane(options, configDir, limits);
    }
}
