package io.meshwork.cli;

import io.meshwork.controlplane.ControlPlane;
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

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(configDir)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--config-dir " + configDir + ": not a directory");
        }
        ControlPlane controlPlane = wire(new ControlPlane.Options(address, xdsPort, adminPort), configDir);
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
        stopped.await();
        return 0;
    }

    static ControlPlane wire(ControlPlane.Options options, Path configDir) {
        return io.meshwork.controlplane.LocalMode.controlPlane(options, configDir);
    }
}
