package io.meshwork.cli;

import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.identity.CaClient;
import io.meshwork.proxy.xds.NodeIdentity;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mesh proxy}: runs one sidecar for one workload, configured over xDS by the control plane. */
@Command(name = "proxy",
        description = "Run a sidecar proxy for one workload; every port has a flag so several share one host.")
public final class ProxyCommand implements Callable<Integer> {

    @Option(names = "--workload", paramLabel = "WORKLOAD", required = true, description = "The workload this sidecar serves.")
    String workload;

    @Mixin
    ProxyOptions options;

    @Option(names = "--outbound-port", paramLabel = "PORT", defaultValue = "15001", description = "Default: ${DEFAULT-VALUE}.")
    int outboundPort;

    @Option(names = "--inbound-port", paramLabel = "PORT", defaultValue = "15006", description = "Default: ${DEFAULT-VALUE}.")
    int inboundPort;

    @Option(names = "--app-probers", paramLabel = "JSON", defaultValue = "${env:MESH_KUBE_APP_PROBERS:-}",
            description = "The app's kubelet probes to serve on the health port at /app-health/<container>/livez|readyz|startupz "
                    + "(JSON path -> {httpGet|tcpSocket|grpc: {port, ...}, timeoutSeconds}). Default: $MESH_KUBE_APP_PROBERS.")
    String appProbers;

    @Override
    public Integer call() throws Exception {
        options.check();
        CaClient certificates = options.workloadCertificates();
        SidecarProxy sidecar = new SidecarProxy(new SidecarProxy.Options(options.xds,
                new NodeIdentity(workload, options.namespace, options.serviceAccount, options.instanceId(),
                        options.adminAddress(), options.metricsAddress()), options.bindAddress, outboundPort, inboundPort,
                options.adminPort, options.healthPort, options.metricsPort, duration(options.drainTimeout),
                Math.max(1, options.concurrency), AppProbes.parse(appProbers), certificates, options.adminBindAddress));
        return options.run(sidecar, certificates);
    }

    /** Parses {@code 5s}, {@code 500ms}, {@code 1m}, plain seconds, or an ISO-8601 duration. */
    static Duration duration(String text) {
        return ProxyOptions.duration(text);
    }
}
