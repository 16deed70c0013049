package io.meshwork.cli;

import io.meshwork.proxy.GatewayProxy;
import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.admin.AppProbes;
import io.meshwork.proxy.identity.CaClient;
import io.meshwork.proxy.xds.NodeIdentity;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mesh gateway}: the sidecar's proxy core as a standalone ingress for one Gateway (Gateway API), configured over
 * xDS: it listens on each of the Gateway's listener ports on {@code --bind-address}, terminates TLS with the listeners'
 * certificates and routes by the HTTPRoutes attached to them.
 */
@Command(name = "gateway",
        description = "Run an ingress gateway for one Gateway (gateway.networking.k8s.io) of the class whose "
                + "controllerName is meshwork.io/gateway-controller: it listens on each listener's port.")
public final class GatewayCommand implements Callable<Integer> {

    @Option(names = "--name", paramLabel = "GATEWAY", required = true, description = "The Gateway this process serves.")
    String name;

    @Mixin
    ProxyOptions options;

    @Override
    public Integer call() throws Exception {
        options.check();
        CaClient certificates = options.workloadCertificates();
        // No capture ports: the control plane sends a gateway only its Gateway's listeners.
        GatewayProxy gateway = new GatewayProxy(new SidecarProxy.Options(options.xds,
                NodeIdentity.gateway(name, options.namespace, options.serviceAccount, options.instanceId(),
                        options.adminAddress(), options.metricsAddress()), options.bindAddress, 0, 0,
                options.adminPort, options.healthPort, options.metricsPort, ProxyOptions.duration(options.drainTimeout),
                Math.max(1, options.concurrency), AppProbes.none(), certificates, options.adminBindAddress));
        return options.run(gateway.proxy(), certificates);
    }
}
