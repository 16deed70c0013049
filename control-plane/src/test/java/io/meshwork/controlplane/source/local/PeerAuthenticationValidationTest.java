package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PeerAuthentication;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PeerAuthentication in local mode, written as Istio users write theirs. */
class PeerAuthenticationValidationTest {

    private static LoadResult load(String yaml) {
        return new LocalConfigLoader().load(Map.of("peer-authentication.yaml", yaml));
    }

    @Test
    void readsTheSelectorTheModeAndThePortLevelModes() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: reviews
                  namespace: shop
                spec:
                  selector:
                    matchLabels:
                      app: reviews
                  mtls:
                    mode: STRICT
                  portLevelMtls:
                    9090:
                      mode: DISABLE
                """);

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().peerAuthentications()).containsExactly(Map.entry(ObjectRef.of("shop", "reviews"),
                new PeerAuthentication(ObjectRef.of("shop", "reviews"), Map.of("app", "reviews"),
                        PeerAuthentication.Mode.STRICT, Map.of(9090, PeerAuthentication.Mode.DISABLE))));
    }

    @Test
    void aMeshDefaultInTheRootNamespaceNeedsOnlyAMode() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: default
                  namespace: meshwork-system
                spec:
                  mtls:
                    mode: strict
                """);

        assertThat(result.problems()).isEmpty();
        PeerAuthentication policy = result.snapshot().peerAuthentications().values().iterator().next();
        assertThat(policy.isMeshDefault()).isTrue();
        assertThat(policy.mode()).isEqualTo(PeerAuthentication.Mode.STRICT);
    }

    @Test
    void anUnknownModeIsRefusedNamingTheFieldAndTheChoices() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: default
                spec:
                  mtls:
                    mode: ON
                """);

        assertThat(result.errors()).singleElement().asString()
                .contains("PeerAuthentication default/default: spec.mtls.mode: \"ON\" is not an mTLS mode (STRICT, PERMISSIVE, DISABLE, UNSET)");
        assertThat(result.snapshot().peerAuthentications()).isEmpty();
    }

    @Test
    void portLevelModesWithoutASelectorAreRefusedAsIstioRefusesThem() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: default
                spec:
                  portLevelMtls:
                    8080:
                      mode: DISABLE
                """);

        assertThat(result.errors()).singleElement().asString()
                .contains("spec.portLevelMtls: needs spec.selector.matchLabels");
    }

    @Test
    void aPortThatIsNoNumberIsRefused() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata:
                  name: reviews
                spec:
                  selector:
                    matchLabels: {app: reviews}
                  portLevelMtls:
                    http:
                      mode: DISABLE
                """);

        assertThat(result.errors()).singleElement().asString()
                .contains("spec.portLevelMtls.http: \"http\" is not a port number (1-65535)");
    }

    @Test
    void strictWhileAWorkloadHasNoSidecarIsAWarningNamingIt() {
        String workloads = """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata: {name: reviews-1, namespace: default, labels: {app: reviews}}
                spec: {address: 127.0.0.2, ports: {http: 9080}, appPorts: {http: 19080}, serviceAccount: reviews}
                ---
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata: {name: legacy-1, namespace: default, labels: {app: legacy}}
                spec: {address: 127.0.0.3, ports: {http: 8080}}
                """;
        String strict = """
                apiVersion: meshwork.io/v1alpha1
                kind: PeerAuthentication
                metadata: {name: reviews, namespace: default}
                spec:
                  selector: {matchLabels: {app: reviews}}
                  mtls: {mode: STRICT}
                """;

        LoadResult result = new LocalConfigLoader().load(Map.of("workloads.yaml", workloads, "peer-authentication.yaml", strict));
        LoadResult permissive = new LocalConfigLoader().load(Map.of("workloads.yaml", workloads,
                "peer-authentication.yaml", strict.replace("STRICT", "PERMISSIVE")));

        assertThat(result.errors()).isEmpty();
        assertThat(result.problems()).singleElement().satisfies(p -> assertThat(p.toString())
                .contains("peer-authentication.yaml").contains("spec.mtls.mode")
                .contains("STRICT for default/reviews-1, but default/legacy-1 has no sidecar and cannot call them"));
        assertThat(permissive.problems()).isEmpty();
    }
}
