package io.meshwork.controlplane.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshwork.controlplane.model.ObjectRef;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProxyNodeTest {

    private static Node node(String id, String... keyValues) {
        Struct.Builder metadata = Struct.newBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            metadata.putFields(keyValues[i], Value.newBuilder().setStringValue(keyValues[i + 1]).build());
        }
        return Node.newBuilder().setId(id).setMetadata(metadata).build();
    }

    @Test
    void sidecarMetadataNamesTheWorkloadNamespaceAndServiceAccount() {
        ProxyNode proxy = ProxyNode.fromNode(node("sidecar~frontend-1.shop~a1",
                "MESH_PROXY_TYPE", "sidecar", "MESH_WORKLOAD", "frontend-1", "MESH_NAMESPACE", "shop",
                "MESH_SERVICE_ACCOUNT", "frontend"));

        assertThat(proxy).isEqualTo(new ProxyNode(ProxyNode.Kind.SIDECAR,
                Optional.of(ObjectRef.of("shop", "frontend-1")), "shop", "frontend"));
    }

    @Test
    void aNodeWithoutSidecarProxyTypeIsProxylessInDefaultNamespace() {
        ProxyNode proxy = ProxyNode.fromNode(node("grpc-client-7"));

        assertThat(proxy.kind()).isEqualTo(ProxyNode.Kind.PROXYLESS);
        assertThat(proxy.namespace()).isEqualTo("default");
        assertThat(proxy.workload()).isEmpty();
    }

    @Test
    void aProxylessNodeKeepsItsMeshNamespace() {
        assertThat(ProxyNode.fromNode(node("c", "MESH_NAMESPACE", "shop")).namespace()).isEqualTo("shop");
    }

    @Test
    void aProxylessNodeNamingItsWorkloadIsThatProxylessServersProcessInAGroupOfItsOwn() {
        ProxyNode proxy = ProxyNode.fromNode(node("greeter", "MESH_NAMESPACE", "shop", "MESH_WORKLOAD", "greeter-1"));

        assertThat(proxy.kind()).isEqualTo(ProxyNode.Kind.PROXYLESS);
        assertThat(proxy.workload()).contains(ObjectRef.of("shop", "greeter-1"));
        assertThat(proxy.groupKey()).isEqualTo("proxyless/shop/greeter-1");
    }

    @Test
    void aSidecarWithoutWorkloadMetadataFallsBackToItsId() {
        ProxyNode proxy = ProxyNode.fromNode(node("sidecar~reviews.v1-0.shop~x", "MESH_PROXY_TYPE", "sidecar"));

        assertThat(proxy.workload()).contains(ObjectRef.of("shop", "reviews.v1-0"));
    }

    @Test
    void aSidecarWithNeitherWorkloadNorParsableIdIsRejectedNamingTheNodeAndField() {
        assertThatThrownBy(() -> ProxyNode.fromNode(node("envoy-7", "MESH_PROXY_TYPE", "sidecar")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("envoy-7")
                .hasMessageContaining("MESH_WORKLOAD");
    }

    @Test
    void groupKeyOfASidecarNamesNamespaceAndWorkload() {
        assertThat(ProxyNode.sidecar(ObjectRef.of("shop", "cart-1"), "cart").groupKey()).isEqualTo("sidecar/shop/cart-1");
    }

    @Test
    void groupKeyOfAProxylessClientNamesItsNamespace() {
        assertThat(ProxyNode.proxyless("shop").groupKey()).isEqualTo("proxyless/shop");
    }
}
