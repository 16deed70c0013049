package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A whole config folder (test resources {@code local-config/bookinfo}) read from disk, as a user writes it. */
class BookinfoConfigTest {

    private static LoadResult result;

    @BeforeAll
    static void load() throws Exception {
        result = new LocalConfigLoader().load(folder());
    }

    private static Path folder() throws URISyntaxException {
        return Path.of(BookinfoConfigTest.class.getResource("/local-config/bookinfo").toURI());
    }

    private static MeshSnapshot snapshot() {
        return result.snapshot();
    }

    @Test
    void hasNoProblems() {
        assertThat(result.problems()).isEmpty();
    }

    @Test
    void readsEveryObject() {
        assertThat(snapshot().services()).hasSize(5);
        assertThat(snapshot().workloads()).hasSize(4);
        assertThat(snapshot().splits()).hasSize(2);
        assertThat(snapshot().routeGroups()).hasSize(1);
    }

    @Test
    void rootServiceReachesBothVersionsOnTheirSidecarPorts() {
        assertThat(snapshot().endpointsOf(ObjectRef.of("default", "reviews")))
                .extracting(ServiceEndpoint::servicePort, ServiceEndpoint::address, ServiceEndpoint::port, ServiceEndpoint::ready)
                .containsExactly(tuple(9080, "127.0.0.11", 15081, true), tuple(9080, "127.0.0.12", 15082, false),
                        tuple(9090, "127.0.0.11", 15091, true), tuple(9090, "127.0.0.12", 15092, false));
    }

    @Test
    void tcpPortNameGivesTcpInAnotherNamespace() {
        assertThat(snapshot().service(ObjectRef.of("data", "mysql")).orElseThrow().ports().get(0).protocol()).isEqualTo(Protocol.TCP);
        assertThat(snapshot().endpointsOf(ObjectRef.of("data", "mysql"))).extracting(ServiceEndpoint::port).containsExactly(3306);
    }

    @Test
    void theDefaultSplitAndTheMatchedSplitShareTheRoot() {
        assertThat(snapshot().splitsFor(ObjectRef.of("default", "reviews")))
                .extracting(s -> s.ref().name(), s -> s.matches().isEmpty())
                .containsExactly(tuple("reviews", true), tuple("reviews-canary-header", false));
    }

    @Test
    void sameFolderReadTwiceGivesTheSameVersion() throws Exception {
        assertThat(new LocalConfigLoader().load(folder()).snapshot().version()).isEqualTo(snapshot().version());
    }
}
