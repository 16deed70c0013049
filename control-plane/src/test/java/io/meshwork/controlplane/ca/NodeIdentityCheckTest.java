package io.meshwork.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshwork.certs.SpiffeId;
import org.junit.jupiter.api.Test;

/** Which nodes an authenticated ADS stream on the CA's port may send: its pod's, or its Gateway's as that Gateway's account. */
class NodeIdentityCheckTest {

    private static Node node(String type, String workload, String namespace, String serviceAccount) {
        return Node.newBuilder().setId(type + "~" + workload + "." + namespace + "~pod-1")
                .setMetadata(Struct.newBuilder()
                        .putFields("MESH_PROXY_TYPE", Value.newBuilder().setStringValue(type).build())
                        .putFields("MESH_WORKLOAD", Value.newBuilder().setStringValue(workload).build())
                        .putFields("MESH_NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
                        .putFields("MESH_SERVICE_ACCOUNT", Value.newBuilder().setStringValue(serviceAccount).build()))
                .build();
    }

    private static CallerAuthenticator.Caller caller(String namespace, String serviceAccount, String pod) {
        return new CallerAuthenticator.Caller(new SpiffeId("cluster.local", namespace, serviceAccount), pod);
    }

    @Test
    void aSidecarMayAskOnlyForItsOwnPod() {
        assertThat(NodeIdentityCheck.mismatch(node("sidecar", "reviews-1", "shop", "reviews"),
                caller("shop", "reviews", "reviews-1"))).isNull();
        assertThat(NodeIdentityCheck.mismatch(node("sidecar", "payments-1", "shop", "reviews"),
                caller("shop", "reviews", "reviews-1"))).contains("is not the caller's identity");
    }

    @Test
    void aGatewaysConfigGoesOnlyToItsOwnServiceAccountInItsNamespace() {
        assertThat(NodeIdentityCheck.mismatch(node("router", "web", "edge", "web-meshwork"),
                caller("edge", "web-meshwork", "web-meshwork-5d8f-abcde"))).isNull();

        assertThat(NodeIdentityCheck.mismatch(node("router", "web", "edge", "reviews"), caller("edge", "reviews", "r-1")))
                .as("another account of the namespace would get the listeners' private keys")
                .isEqualTo("gateway node router~web.edge~pod-1 (Gateway edge/web, service account reviews) is not served "
                        + "to spiffe://cluster.local/ns/edge/sa/reviews: a Gateway's config goes only to its own "
                        + "ServiceAccount edge/web-meshwork (mesh install --gateway runs it so)");
        assertThat(NodeIdentityCheck.mismatch(node("router", "web", "edge", "web-meshwork"),
                caller("shop", "web-meshwork", "x"))).as("the same account name in another namespace").isNotNull();
        assertThat(NodeIdentityCheck.mismatch(node("router", "other", "edge", "web-meshwork"),
                caller("edge", "web-meshwork", "x"))).as("gateway web's account asking for Gateway other").isNotNull();
        Node sidecarIdRouterType = node("router", "reviews-1", "shop", "reviews").toBuilder()
                .setId("sidecar~reviews-1.shop~pod-1").build();
        assertThat(NodeIdentityCheck.mismatch(sidecarIdRouterType, caller("shop", "reviews", "reviews-1")))
                .as("a pod's own node id with the router type is still a gateway node").isNotNull();
    }
}
