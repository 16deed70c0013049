package io.meshwork.controlplane.ca;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ADS stream on the CA's TLS port: the caller's credential (the same bearer token as its CSR) says which workload it
 * is, and every {@code node} it sends must be that workload's: node id {@code sidecar~<workload>.<namespace>~...} and
 * metadata {@code MESH_WORKLOAD}, {@code MESH_NAMESPACE}, {@code MESH_SERVICE_ACCOUNT}. A pod therefore cannot ask for
 * another workload's config by naming it in its node; the stream is closed with PERMISSION_DENIED naming both.
 *
 * <p>A {@code mesh gateway} (node id {@code router~<gateway>.<namespace>~<instance>}, {@code MESH_WORKLOAD} the Gateway's
 * name) is no pod's workload: its node is accepted when its namespace is the caller's and the caller is the gateway's
 * own ServiceAccount, {@code <gateway>-meshwork} (what {@code mesh install --gateway} runs it as), because its config
 * holds the private keys of the Gateway's listeners; any other account of the namespace is refused them.
 */
final class NodeIdentityCheck implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(NodeIdentityCheck.class);

    private final CallerAuthenticator authenticator;
    private final Supplier<String> token;

    NodeIdentityCheck(CallerAuthenticator authenticator, Supplier<String> token) {
        this.authenticator = authenticator;
        this.token = token;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        CallerAuthenticator.Caller caller;
        try {
            caller = authenticator.authenticate(token.get());
        } catch (CallerAuthenticator.CallerRejectedException e) {
            LOG.warn("xDS: refused an unauthenticated stream: {}", e.getMessage());
            call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                if (message instanceof DiscoveryRequest request && request.hasNode()) {
                    String mismatch = mismatch(request.getNode(), caller);
                    if (mismatch != null) {
                        refused = true;
                        LOG.warn("xDS: refused {}: {}", caller.identity(), mismatch);
                        call.close(Status.PERMISSION_DENIED.withDescription(mismatch), new Metadata());
                        return;
                    }
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

    /** Why {@code node} is not {@code caller}'s, or null when it is. */
    static String mismatch(Node node, CallerAuthenticator.Caller caller) {
        String namespace = caller.identity().namespace();
        String expectedId = caller.workload() + "." + namespace;
        String[] id = node.getId().split("~", 3);
        String workload = meta(node, "MESH_WORKLOAD");
        String nodeNamespace = meta(node, "MESH_NAMESPACE");
        String serviceAccount = meta(node, "MESH_SERVICE_ACCOUNT");
        if (ROUTER.equals(meta(node, "MESH_PROXY_TYPE"))) {
            String gatewayAccount = io.meshwork.certs.SpiffeId.gatewayServiceAccount(workload);
            if (id.length >= 2 && id[0].equals(ROUTER) && id[1].equals(workload + "." + namespace) && nodeNamespace.equals(namespace)
                    && serviceAccount.equals(caller.identity().serviceAccount())
                    && serviceAccount.equals(gatewayAccount)) {
                return null;
            }
            return "gateway node " + node.getId() + " (Gateway " + nodeNamespace + "/" + workload + ", service account "
                    + serviceAccount + ") is not served to " + caller.identity() + ": a Gateway's config goes only to "
                    + "its own ServiceAccount " + (nodeNamespace.isEmpty() ? namespace : nodeNamespace) + "/"
                    + gatewayAccount + " (mesh install --gateway runs it so)";
        }
        if (id.length < 2 || !id[1].equals(expectedId) || !workload.equals(caller.workload())
                || !nodeNamespace.equals(namespace) || !serviceAccount.equals(caller.identity().serviceAccount())) {
            return "node " + node.getId() + " (workload " + nodeNamespace + "/" + workload + ", service account "
                    + serviceAccount + ") is not the caller's identity " + caller.identity() + " (workload " + namespace
                    + "/" + caller.workload() + ")";
        }
        return null;
    }

    private static final String ROUTER = "router";

    private static String meta(Node node, String key) {
        return node.getMetadata().getFieldsOrDefault(key, Value.getDefaultInstance()).getStringValue();
    }
}
