package io.meshwork.proxy.testing;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A real java-control-plane ADS server on loopback, grouping sidecars as ARCHITECTURE.md says. */
public final class TestControlPlane implements AutoCloseable {

    private final SimpleCache<String> cache = new SimpleCache<>(TestControlPlane::group);
    private final List<DiscoveryRequest> nacks = new CopyOnWriteArrayList<>();
    private final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
    private Server server;
    private int port;

    public static String group(Node node) {
        var fields = node.getMetadata().getFieldsMap();
        String namespace = fields.containsKey("MESH_NAMESPACE") ? fields.get("MESH_NAMESPACE").getStringValue()
                : "default";
        return "sidecar/" + namespace + "/" + fields.get("MESH_WORKLOAD").getStringValue();
    }

    public TestControlPlane start() throws IOException {
        return startOn(0);
    }

    /** Starts (or restarts) the server on a port; 0 picks a free one. */
    public TestControlPlane startOn(int requestedPort) throws IOException {
        V3DiscoveryServer discovery = new V3DiscoveryServer(new DiscoveryServerCallbacks() {
            @Override
            public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                requests.add(request);
                if (request.hasErrorDetail()) {
                    nacks.add(request);
                }
            }

            @Override
            public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            }
        }, cache);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", requestedPort))
                .addService(discovery.getAggregatedDiscoveryServiceImpl())
                .build()
                .start();
        port = server.getPort();
        return this;
    }

    public String target() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public void setSnapshot(String workload, String namespace, Snapshot snapshot) {
        cache.setSnapshot("sidecar/" + namespace + "/" + workload, snapshot);
    }

    public List<DiscoveryRequest> nacks() {
        return nacks;
    }

    public List<DiscoveryRequest> requests() {
        return requests;
    }

    public void stop() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null && !server.isShutdown()) {
            stop();
        }
    }
}
