package io.meshwork.controlplane.xds;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.meshwork.controlplane.AdminEndpoint;
import io.meshwork.controlplane.ControlPlane;
import io.meshwork.controlplane.LocalMode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * For grpc-java interop tests: a grpc-java server answering {@link NamedBackend#NAME} as the test says, Service
 * {@code pay:9090} on it in a local-mode control plane reading {@code config} (with the test's extra documents), and
 * grpc-java's proxyless {@code xds:///} channel to it. One per JVM: grpc-xds reads its bootstrap once.
 */
final class ProxylessPay implements AutoCloseable {

    static final String TARGET = "xds:///pay.default.svc.cluster.local:9090";

    final Server server;
    final ControlPlane controlPlane;
    final AdminEndpoint admin;
    final ManagedChannel channel;

    ProxylessPay(Path config, ServerCalls.UnaryMethod<String, String> method, String moreDocuments) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(
                ServerServiceDefinition.builder("meshwork.test.Who")
                        .addMethod(NamedBackend.NAME, ServerCalls.asyncUnaryCall(method)).build()).build().start();
        Files.writeString(config.resolve("mesh.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: pay}
                spec:
                  selector: {app: pay}
                  ports: [{name: grpc, port: 9090, appProtocol: grpc}]
                ---
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata: {name: pay-0, labels: {app: pay}}
                spec:
                  address: 127.0.0.1
                  ports: {grpc: %d}
                """.formatted(server.getPort()) + (moreDocuments.isEmpty() ? "" : "---\n" + moreDocuments));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), config).start();
        admin = new AdminEndpoint(controlPlane.adminPort());
        XdsBootstrap.proxylessClient(controlPlane.xdsPort(), "proxyless~pay-client", "default");
        channel = Grpc.newChannelBuilder(TARGET, InsecureChannelCredentials.create()).build();
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controlPlane.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
