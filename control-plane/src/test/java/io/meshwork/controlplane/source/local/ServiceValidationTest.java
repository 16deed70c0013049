package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.files;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import org.junit.jupiter.api.Test;

class ServiceValidationTest {

    private static LoadResult load(String ports) {
        return new LocalConfigLoader().load(files("svc.yaml", Manifests.serviceWithPorts("ratings", ports)));
    }

    private static MeshService ratings(LoadResult result) {
        assertThat(result.problems()).isEmpty();
        return result.snapshot().services().get(ObjectRef.of("default", "ratings"));
    }

    @Test
    void missingNamespaceMeansDefault() {
        MeshService service = ratings(load("  - port: 9080\n"));
        assertThat(service.ref()).isEqualTo(ObjectRef.of("default", "ratings"));
    }

    @Test
    void missingAppProtocolMeansHttp() {
        assertThat(ratings(load("  - port: 9080\n")).ports().get(0).protocol()).isEqualTo(Protocol.HTTP);
    }

    @Test
    void portNamePrefixGivesTheProtocolWhenAppProtocolIsMissing() {
        assertThat(ratings(load("  - name: grpc-api\n    port: 9080\n")).ports().get(0).protocol()).isEqualTo(Protocol.GRPC);
    }

    @Test
    void tlsPortNameIsPassedThroughAsTcp() {
        assertThat(ratings(load("  - name: https\n    port: 443\n")).ports().get(0).protocol()).isEqualTo(Protocol.TCP);
    }

    @Test
    void appProtocolWinsOverPortName() {
        MeshService service = ratings(load("  - name: grpc\n    port: 9080\n    appProtocol: tcp\n"));
        assertThat(service.ports().get(0).protocol()).isEqualTo(Protocol.TCP);
    }

    @Test
    void rejectsUnknownAppProtocol() {
        LoadResult result = load("  - port: 9080\n    appProtocol: mongo\n");
        assertThat(result.errors()).singleElement().hasToString(
                "svc.yaml doc 1 (line 10): Service default/ratings: spec.ports[0].appProtocol: "
                        + "unknown appProtocol \"mongo\" (expected http, http2, grpc or tcp)");
        assertThat(result.snapshot().services()).isEmpty();
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThat(load("  - port: 70000\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.ports[0].port");
            assertThat(p.message()).isEqualTo("port 70000 is not in 1..65535");
            assertThat(p.line()).isEqualTo(9);
        });
    }

    @Test
    void rejectsPortZero() {
        assertThat(load("  - port: 0\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("port 0 is not in 1..65535"));
    }

    @Test
    void rejectsMissingPortNumber() {
        assertThat(load("  - name: http\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.ports[0].port");
            assertThat(p.message()).isEqualTo("is required");
        });
    }

    @Test
    void rejectsTwoPortsWithTheSameNumber() {
        assertThat(load("  - name: a\n    port: 80\n  - name: b\n    port: 80\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.ports[1].port");
            assertThat(p.message()).isEqualTo("port 80 is already used by spec.ports[0]");
        });
    }

    @Test
    void rejectsTwoPortsWithTheSameName() {
        assertThat(load("  - name: a\n    port: 80\n  - name: a\n    port: 81\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("name \"a\" is already used by spec.ports[0]"));
    }

    @Test
    void requiresPortNamesWhenThereAreSeveralPorts() {
        assertThat(load("  - port: 80\n  - name: b\n    port: 81\n").errors()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("spec.ports[0].name");
            assertThat(p.message()).isEqualTo("is required when a Service has more than one port");
        });
    }

    @Test
    void rejectsUdp() {
        assertThat(load("  - port: 53\n    protocol: UDP\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("only TCP is supported, not \"UDP\""));
    }

    @Test
    void rejectsTargetPortThatIsNeitherNumberNorName() {
        assertThat(load("  - port: 80\n    targetPort: Not_A_Name\n").errors()).singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("spec.ports[0].targetPort"));
    }

    @Test
    void keepsTargetPortNameAndNumber() {
        MeshService service = ratings(load("  - name: a\n    port: 80\n    targetPort: web\n  - name: b\n    port: 81\n    targetPort: 8081\n"));
        assertThat(service.ports()).extracting(p -> p.targetPort()).containsExactly("web", "8081");
    }

    @Test
    void rejectsServiceWithoutSpec() {
        LoadResult result = new LocalConfigLoader().load(files("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: ratings\n"));
        assertThat(result.errors()).singleElement().hasToString("svc.yaml doc 1 (line 1): Service default/ratings: spec: is required");
    }

    @Test
    void rejectsServiceNameWithADot() {
        LoadResult result = new LocalConfigLoader().load(files("svc.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: a.b\nspec:\n  ports:\n  - port: 80\n"));
        assertThat(result.errors()).singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("metadata.name"));
    }
}
