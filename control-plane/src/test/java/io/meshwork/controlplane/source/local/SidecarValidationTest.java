package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.SidecarScope;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Sidecar kind in local mode, written as Istio users write theirs. */
class SidecarValidationTest {

    private static LoadResult load(String yaml) {
        return new LocalConfigLoader().load(Map.of("sidecar.yaml", yaml));
    }

    @Test
    void readsTheSelectorAndTheEgressHosts() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: Sidecar
                metadata:
                  name: productpage
                  namespace: shop
                spec:
                  workloadSelector:
                    labels:
                      app: productpage
                  egress:
                  - hosts:
                    - ./reviews
                    - "*/ratings"
                  - hosts:
                    - istio-system/*
                    - shop/details.shop.svc.cluster.local
                """);

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().sidecars()).containsExactly(Map.entry(ObjectRef.of("shop", "productpage"),
                new SidecarScope(ObjectRef.of("shop", "productpage"), Map.of("app", "productpage"),
                        List.of("./reviews", "*/ratings", "istio-system/*", "shop/details.shop.svc.cluster.local"))));
    }

    @Test
    void aHostWithoutANamespaceIsRefusedNamingTheField() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: Sidecar
                metadata:
                  name: default
                spec:
                  egress:
                  - hosts: [reviews]
                """);

        assertThat(result.errors()).singleElement().asString()
                .contains("Sidecar default/default: spec.egress[0].hosts: \"reviews\" is not namespace/name");
        assertThat(result.snapshot().sidecars()).isEmpty();
    }

    @Test
    void aSidecarWithoutEgressIsRefused() {
        LoadResult result = load("""
                apiVersion: meshwork.io/v1alpha1
                kind: Sidecar
                metadata:
                  name: default
                spec: {}
                """);

        assertThat(result.errors()).singleElement().asString().contains("spec.egress: at least one egress");
    }
}
