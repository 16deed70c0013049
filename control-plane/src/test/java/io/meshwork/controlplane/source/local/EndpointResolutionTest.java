package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.Manifests.files;
import static io.meshwork.controlplane.source.local.Manifests.service;
import static io.meshwork.controlplane.source.local.Manifests.workload;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointResolutionTest {

    private static final ObjectRef RATINGS = ObjectRef.of("default", "ratings");

    /** A ratings Service with one port whose YAML is {@code port}, and the given workloads. */
    private static List<ServiceEndpoint> endpoints(String port, String... workloads) {
        String[] all = new String[workloads.length + 1];
        all[0] = Manifests.serviceWithPorts("ratings", port);
        System.arraycopy(workloads, 0, all, 1, workloads.length);
        LoadResult result = new LocalConfigLoader().load(files("mesh.yaml", docs(all)));
        assertThat(result.problems()).isEmpty();
        return result.snapshot().endpointsOf(RATINGS);
    }

    private static String workloadWithPorts(String name, String address, String portsYaml) {
        return "apiVersion: meshwork.io/v1alpha1\nkind: Workload\nmetadata:\n  name: " + name
                + "\n  labels: {app: ratings}\nspec:\n  address: " + address + "\n  ports: " + portsYaml + "\n";
    }

    @Test
    void selectsTheWorkloadsOfItsNamespaceWhoseLabelsMatch() {
        List<ServiceEndpoint> endpoints = endpoints("  - name: http\n    port: 9080\n",
                workload("ratings-1", "ratings", "v1", "127.0.0.2", 9080),
                workload("ratings-2", "ratings", "v2", "127.0.0.3", 9080),
                workload("details-1", "details", "v1", "127.0.0.4", 9080),
                workload("ratings-9", "ratings", "v1", "127.0.0.9", 9080).replace("name: ratings-9", "name: ratings-9\n  namespace: other"));
        assertThat(endpoints).extracting(e -> e.workload().ref().name()).containsExactly("ratings-1", "ratings-2");
    }

    @Test
    void namedTargetPortIsTheWorkloadPortOfThatName() {
        List<ServiceEndpoint> endpoints = endpoints("  - port: 80\n    targetPort: web\n",
                workloadWithPorts("ratings-1", "127.0.0.2", "{web: 15080}"));
        assertThat(endpoints).singleElement().satisfies(e -> {
            assertThat(e.servicePort()).isEqualTo(80);
            assertThat(e.address()).isEqualTo("127.0.0.2");
            assertThat(e.port()).isEqualTo(15080);
        });
    }

    @Test
    void workloadWithoutTheNamedTargetPortIsSkipped() {
        List<ServiceEndpoint> endpoints = endpoints("  - port: 80\n    targetPort: web\n",
                workloadWithPorts("ratings-1", "127.0.0.2", "{web: 15080}"),
                workloadWithPorts("ratings-2", "127.0.0.3", "{admin: 15000}"));
        assertThat(endpoints).extracting(e -> e.workload().ref().name()).containsExactly("ratings-1");
    }

    @Test
    void numericTargetPortIsUsedWhenNoWorkloadPortIsNamedLikeTheServicePort() {
        assertThat(endpoints("  - name: http\n    port: 80\n    targetPort: 8080\n",
                workloadWithPorts("ratings-1", "127.0.0.2", "{admin: 15000}")))
                .singleElement().satisfies(e -> assertThat(e.port()).isEqualTo(8080));
    }

    @Test
    void workloadPortNamedLikeTheServicePortWinsOverANumericTargetPort() {
        // A Service copied from Kubernetes: targetPort is the pod's port; the local workload says where it listens.
        assertThat(endpoints("  - name: http\n    port: 80\n    targetPort: 8080\n",
                workloadWithPorts("ratings-1", "127.0.0.2", "{http: 15080}"),
                workloadWithPorts("ratings-2", "127.0.0.3", "{}")))
                .extracting(ServiceEndpoint::address, ServiceEndpoint::port)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("127.0.0.2", 15080),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.3", 8080));
    }

    @Test
    void workloadPortNamedLikeTheServicePortWinsOverANamedTargetPort() {
        assertThat(endpoints("  - name: http\n    port: 80\n    targetPort: web\n",
                workloadWithPorts("ratings-1", "127.0.0.2", "{http: 15080, web: 8080}")))
                .singleElement().satisfies(e -> assertThat(e.port()).isEqualTo(15080));
    }

    @Test
    void withoutTargetPortTheWorkloadPortNamedLikeTheServicePortIsUsed() {
        assertThat(endpoints("  - name: http\n    port: 80\n", workloadWithPorts("ratings-1", "127.0.0.2", "{http: 15080}")))
                .singleElement().satisfies(e -> assertThat(e.port()).isEqualTo(15080));
    }

    @Test
    void withoutTargetPortOrNamedWorkloadPortTheServicePortIsUsed() {
        assertThat(endpoints("  - name: http\n    port: 80\n", workloadWithPorts("ratings-1", "127.0.0.2", "{}")))
                .singleElement().satisfies(e -> assertThat(e.port()).isEqualTo(80));
    }

    @Test
    void everyServicePortGetsItsOwnEndpoints() {
        List<ServiceEndpoint> endpoints = endpoints("  - name: http\n    port: 80\n  - name: grpc\n    port: 90\n",
                workloadWithPorts("ratings-1", "127.0.0.2", "{http: 15080, grpc: 15090}"));
        assertThat(endpoints).extracting(ServiceEndpoint::servicePort, ServiceEndpoint::port)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(80, 15080), org.assertj.core.groups.Tuple.tuple(90, 15090));
    }

    @Test
    void unreadyWorkloadIsStillAnEndpointMarkedNotReady() {
        assertThat(endpoints("  - port: 80\n", workloadWithPorts("ratings-1", "127.0.0.2", "{}") + "  ready: false\n"))
                .singleElement().satisfies(e -> assertThat(e.ready()).isFalse());
    }

    @Test
    void serviceWithoutSelectorHasNoEndpoints() {
        LoadResult result = new LocalConfigLoader().load(files("mesh.yaml", docs(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: ratings\nspec:\n  ports: [{port: 80}]\n",
                workload("ratings-1", "ratings", "v1", "127.0.0.2", 9080))));
        assertThat(result.snapshot().endpointsOf(RATINGS)).isEmpty();
        assertThat(result.snapshot().endpoints()).containsKey(RATINGS);
    }

    @Test
    void serviceVersionSubsetSelectsOnlyThatVersion() {
        LoadResult result = new LocalConfigLoader().load(files("mesh.yaml", docs(service("reviews-v2", "reviews", "v2", 9080),
                workload("reviews-1", "reviews", "v1", "127.0.0.2", 9080), workload("reviews-2", "reviews", "v2", "127.0.0.3", 9080))));
        assertThat(result.snapshot().endpointsOf(ObjectRef.of("default", "reviews-v2")))
                .extracting(ServiceEndpoint::address).containsExactly("127.0.0.3");
    }
}
