package io.meshwork.controlplane.xds;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the plaintext xDS port of a control plane in a cluster: a gateway's node ({@code MESH_PROXY_TYPE: router}) is
 * refused with PERMISSION_DENIED, because a Gateway's config holds its listeners' private keys and anyone can reach
 * 15010 and name any Gateway. A gateway streams from the CA's TLS port with its ServiceAccount token instead, where
 * {@code ca.NodeIdentityCheck} serves it only to that Gateway's own account (what {@code mesh install --gateway} wires).
 * Local mode keeps plaintext gateways (its keys are the files of the folder the user runs it on).
 */
public final class PlaintextGatewayRefusal implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(PlaintextGatewayRefusal.class);
    static final String WHY = "a gateway's config holds its listeners' private keys: it is served only on the CA's TLS "
            + "port (15012) to the Gateway's own ServiceAccount token (mesh gateway --xds HOST:15012 --ca-address HOST:15012 "
            + "--token-file ..., as mesh install --gateway runs it), not on plaintext xDS";

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                if (message instanceof DiscoveryRequest request && request.hasNode() && "router".equals(request.getNode()
                        .getMetadata().getFieldsOrDefault("MESH_PROXY_TYPE", Value.getDefaultInstance()).getStringValue())) {
                    refused = true;
                    LOG.warn("xDS: refused gateway node {} on the plaintext port: {}", request.getNode().getId(), WHY);
                    call.close(Status.PERMISSION_DENIED.withDescription(WHY), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }
}
