package io.meshwork.controlplane.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A raw SotW ADS stream through the generated stub, speaking the protocol by hand: subscribe,
 * ACK, NACK. With auto-ACK on it behaves like a well-mannered proxy (the benchmark's clients).
 */
public final class AdsTestClient implements AutoCloseable {

    private final Node node;
    private final boolean autoAck;
    private final BiConsumer<String, String> onAck;
    private final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    private final StreamObserver<DiscoveryRequest> requests;
    private boolean nodeSent;

    /**
     * @param onAck called with (type URL, version) after each auto-ACK is sent
     */
    public AdsTestClient(Channel channel, Node node, boolean autoAck, BiConsumer<String, String> onAck) {
        this.node = node;
        this.autoAck = autoAck;
        this.onAck = onAck;
        this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse response) {
                if (autoAck) {
                    ack(response);
                    onAck.accept(response.getTypeUrl(), response.getVersionInfo());
                } else {
                    responses.add(response);
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
    }

    /** A node as a proxyless gRPC client in {@code namespace} names itself. */
    public static Node proxylessNode(String id, String namespace) {
        return Node.newBuilder().setId(id)
                .setMetadata(Struct.newBuilder().putFields("MESH_NAMESPACE", string(namespace)))
                .build();
    }

    /** A node as a sidecar of {@code workload} names itself (ARCHITECTURE.md). */
    public static Node sidecarNode(String workload, String namespace, String instance) {
        return Node.newBuilder().setId("sidecar~" + workload + "." + namespace + "~" + instance)
                .setMetadata(Struct.newBuilder().putAllFields(Map.of(
                        "MESH_PROXY_TYPE", string("sidecar"),
                        "MESH_WORKLOAD", string(workload),
                        "MESH_NAMESPACE", string(namespace),
                        "MESH_SERVICE_ACCOUNT", string(workload))))
                .build();
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    /** Subscribes to every resource of {@code typeUrl} (empty names: wildcard). */
    public void subscribe(String typeUrl) {
        send(DiscoveryRequest.newBuilder().setTypeUrl(typeUrl));
    }

    /** A request for {@code names} of {@code typeUrl}, echoing {@code previous} (the last response) as an ACK. */
    public void request(String typeUrl, List<String> names, DiscoveryResponse previous) {
        send(DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addAllResourceNames(names)
                .setVersionInfo(previous.getVersionInfo()).setResponseNonce(previous.getNonce()));
    }

    public void ack(DiscoveryResponse response) {
        send(DiscoveryRequest.newBuilder().setTypeUrl(response.getTypeUrl())
                .setVersionInfo(response.getVersionInfo()).setResponseNonce(response.getNonce()));
    }

    /** Rejects {@code response}: the version stays at {@code keptVersion}, error_detail says why. */
    public void nack(DiscoveryResponse response, String keptVersion, String message) {
        send(DiscoveryRequest.newBuilder().setTypeUrl(response.getTypeUrl())
                .setVersionInfo(keptVersion).setResponseNonce(response.getNonce())
                .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(message)));
    }

    /** The next response (only without auto-ACK), failing after 5 s. */
    public DiscoveryResponse next() throws InterruptedException {
        DiscoveryResponse response = responses.poll(5, TimeUnit.SECONDS);
        if (response == null) {
            throw new AssertionError("no xDS response for " + node.getId() + " within 5 s");
        }
        return response;
    }

    /** The next response of {@code typeUrl}, skipping others. */
    public DiscoveryResponse next(String typeUrl) throws InterruptedException {
        while (true) {
            DiscoveryResponse response = next();
            if (response.getTypeUrl().equals(typeUrl)) {
                return response;
            }
        }
    }

    List<DiscoveryResponse> pending() {
        return List.copyOf(responses);
    }

    /** Sends {@code request} with this client's node. */
    public synchronized void send(DiscoveryRequest.Builder request) {
        if (!nodeSent) {
            request.setNode(node);
            nodeSent = true;
        }
        requests.onNext(request.build());
    }

    @Override
    public synchronized void close() {
        requests.onCompleted();
    }
}
