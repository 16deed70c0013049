package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.files;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Workload;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadValidationTest {

    private static LoadResult load(String spec) {
        return new LocalConfigLoader().load(files("w.yaml", """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata:
                  name: productpage-1
                  namespace: shop
                  labels:
                    app: productpage
                spec:
                """ + spec));
    }

    private static Workload productpage(LoadResult result) {
        assertThat(result.problems()).isEmpty();
        return result.snapshot().workloads().get(ObjectRef.of("shop", "productpage-1"));
    }

    @Test
    void readsEveryField() {
        Workload w = productpage(load("""
                  address: 127.0.0.5
                  ports: {http: 15080}
                  appPorts: {http: 9080}
                  serviceAccount: bookinfo
                  locality: {region: eu, zone: eu-1a}
                  cluster: east
                  ready: false
                """));
        assertThat(w).isEqualTo(new Workload(ObjectRef.of("shop", "productpage-1"), Map.of("app", "productpage"),
                "127.0.0.5", Map.of("http", 15080), Map.of("http", 9080), "bookinfo", new Locality("eu", "eu-1a"), "east", false));
    }

    @Test
    void isReadyAndUsesDefaultServiceAccountUnlessSaidOtherwise() {
        Workload w = productpage(load("  address: 127.0.0.5\n"));
        assertThat(w.ready()).isTrue();
        assertThat(w.serviceAccount()).isEqualTo("default");
    }

    @Test
    void acceptsIpv6Address() {
        assertThat(productpage(load("  address: \"::1\"\n")).address()).isEqualTo("::1");
    }

    @Test
    void rejectsHostNameAsAddress() {
        assertThat(load("  address: productpage.local\n").errors()).singleElement().hasToString(
                "w.yaml doc 1 (line 9): Workload shop/productpage-1: spec.address: \"productpage.local\" is not an IP address");
    }

    @Test
    void rejectsMissingAddress() {
        assertThat(load("  ports: {http: 9080}\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.address");
            assertThat(p.message()).isEqualTo("is required");
        });
    }

    @Test
    void rejectsPortThatIsNotANumber() {
        assertThat(load("  address: 127.0.0.5\n  ports:\n    http: web\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.ports.http");
            assertThat(p.line()).isEqualTo(11);
            assertThat(p.message()).isEqualTo("must be an integer, not \"web\"");
        });
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThat(load("  address: 127.0.0.5\n  ports: {http: 65536}\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("port 65536 is not in 1..65535"));
    }

    @Test
    void rejectsAppPortWithoutPortOfTheSameName() {
        assertThat(load("  address: 127.0.0.5\n  ports: {http: 15080}\n  appPorts: {admin: 9000}\n").errors())
                .singleElement().satisfies(p -> {
                    assertThat(p.field()).isEqualTo("spec.appPorts");
                    assertThat(p.message()).startsWith("\"admin\" has no entry in spec.ports");
                });
    }

    @Test
    void rejectsReadyThatIsNotABoolean() {
        assertThat(load("  address: 127.0.0.5\n  ready: maybe\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("spec.ready"));
    }
}
