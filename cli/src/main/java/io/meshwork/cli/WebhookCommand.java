package io.meshwork.cli;

import io.meshwork.injector.AdmissionReviewHandler;
import io.meshwork.injector.InjectionTemplate;
import io.meshwork.injector.InjectorConfig;
import io.meshwork.injector.MeshNames;
import io.meshwork.injector.SidecarInjector;
import io.meshwork.injector.WebhookServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh webhook}: the sidecar injector's mutating admission webhook (HTTPS). */
@Command(name = "webhook",
        description = "Run the sidecar-injection admission webhook (HTTPS, POST /inject).")
public final class WebhookCommand implements Callable<Integer> {

    @Option(names = "--tls-cert", required = true, paramLabel = "FILE",
            description = "PEM certificate (chain) to serve; re-read when it changes.")
    Path certificate;

    @Option(names = "--tls-key", required = true, paramLabel = "FILE", description = "PEM private key of --tls-cert.")
    Path key;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + MeshNames.WEBHOOK_PORT, description = "HTTPS port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--address", paramLabel = "ADDRESS", defaultValue = "0.0.0.0", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Injector config YAML (proxyImage, xdsAddress, proxy resources, kubernetesVersion).")
    Path config;

    @Override
    public Integer call() throws Exception {
        InjectorConfig injectorConfig = config == null ? InjectorConfig.defaults() : InjectorConfig.load(config);
        WebhookServer server = WebhookServer.start(new InetSocketAddress(address, port), certificate, key,
                new AdmissionReviewHandler(new SidecarInjector(new InjectionTemplate(injectorConfig))));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "webhook-shutdown"));
        server.awaitClose();
        return 0;
    }
}
