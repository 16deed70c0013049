package io.meshwork.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's copy of samples/local: valid config, moved off ports and addresses that something else holds. */
class DemoConfigTest {

    private static final Path LOCAL = Path.of("..", "samples", "local");
    private static final Path V3 = Path.of("..", "samples", "local-extra", "reviews-v3.yaml");

    @TempDir
    Path work;

    @Test
    void copyMovesAppPortsBelowTheEphemeralRangeAndStaysValid() throws Exception {
        Path config = demoCopy();

        LoadResult loaded = new LocalConfigLoader().load(config);
        assertThat(loaded.errors()).isEmpty();
        Set<Integer> appPorts = loaded.snapshot().workloads().values().stream()
                .flatMap(w -> w.appPorts().values().stream()).collect(Collectors.toSet());
        assertThat(appPorts).hasSize(4).doesNotContain(18080, 19081, 19082, 19083)
                .allSatisfy(p -> assertThat(p).isBetween(20000, 32767));
        assertThat(Files.readString(config.resolve("workloads.yaml")))
                .as("the comment showing the echo command follows the move").doesNotContain("--port 19081");
    }

    @Test
    void theGatewaysListenersMoveToFreePortsAndItsCommentsFollow() throws Exception {
        Path config = demoCopy();

        var gateway = new LocalConfigLoader().load(config).snapshot().gateways()
                .served(io.meshwork.controlplane.model.ObjectRef.of("default", "web")).orElseThrow();
        List<Integer> ports = gateway.listeners().stream().map(l -> l.port()).toList();
        assertThat(ports).hasSize(2).doesNotContain(28080, 28443).allSatisfy(p -> assertThat(p).isBetween(20000, 32767));
        String copy = Files.readString(config.resolve("gateway.yaml"));
        assertThat(copy).as("the curl lines of its comments follow").doesNotContain(":28080").doesNotContain(":28443")
                .contains("http://127.0.0.1:" + ports.get(0) + "/").contains("frontend.example.com:" + ports.get(1) + ":127.0.0.1");
    }

    @Test
    void aRoutesParentRefPortFollowsItsListenerAndAServicePortStays() throws Exception {
        Path samples = Files.createDirectories(work.resolve("samples"));
        Files.writeString(samples.resolve("edge.yaml"), """
                kind: Gateway
                spec:
                  listeners:
                  - {name: http, port: 28080, protocol: HTTP}
                  - name: https
                    port: 28443
                ---
                kind: HTTPRoute
                spec:
                  parentRefs: [{name: web, port: 28443}]
                ---
                kind: HTTPRoute
                spec:
                  parentRefs:
                  - name: web
                    port: 28080
                  - {kind: Service, name: reviews, port: 9080}
                """);
        DemoConfig demo = new DemoConfig(new LoopbackPorts());
        demo.plan(List.of(samples));
        String copy = Files.readString(demo.copy(samples, work.resolve("copy")).resolve("edge.yaml"));
        int http = demo.listenerPort(28080);
        int https = demo.listenerPort(28443);
        assertThat(http).isNotEqualTo(28080);
        assertThat(https).isNotEqualTo(28443);
        assertThat(copy).contains("- {name: http, port: " + http + ", protocol: HTTP}", "    port: " + https + "\n",
                "parentRefs: [{name: web, port: " + https + "}]", "    port: " + http + "\n",
                "{kind: Service, name: reviews, port: 9080}");
    }

    @Test
    void workloadsMoveToAnotherLoopbackBlockWhenTheirAddressIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            try {
                taken.bind(new InetSocketAddress("127.0.0.3", 9080));
            } catch (java.net.BindException alreadyTaken) {
                // another process holds it (another demo, say): taken all the same
            }
            LoadResult loaded = new LocalConfigLoader().load(demoCopy());
            assertThat(loaded.errors()).isEmpty();
            List<String> addresses = loaded.snapshot().workloads().values().stream().filter(Workload::meshed)
                    .map(Workload::address).sorted().toList();
            assertThat(addresses).hasSize(4).noneMatch(a -> a.startsWith("127.0.0."));
            String block = addresses.get(0).substring(0, addresses.get(0).lastIndexOf('.'));
            assertThat(addresses).containsExactly(block + ".2", block + ".3", block + ".4", block + ".5");
        }
    }

    @Test
    void samplesStayOnTheirReadableAddressesWhenFree() throws Exception {
        for (String address : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(address, 9080));
            } catch (java.net.BindException taken) {
                org.junit.jupiter.api.Assumptions.abort(address + ":9080 is held by another process on this machine");
            }
        }
        DemoConfig demo = new DemoConfig(new LoopbackPorts());
        demo.plan(List.of(LOCAL));
        Path config = demo.copy(LOCAL, work.resolve("config"));

        assertThat(new LocalConfigLoader().load(config).snapshot().workloads().values())
                .filteredOn(Workload::meshed).extracting(Workload::address)
                .containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3", "127.0.0.4");
    }

    /** The demo's copy of samples/local with reviews-v3 added, as {@code mesh demo} makes it. */
    private Path demoCopy() throws Exception {
        DemoConfig demo = new DemoConfig(new LoopbackPorts());
        demo.plan(List.of(LOCAL, V3));
        Path config = demo.copy(LOCAL, work.resolve("config"));
        demo.copy(V3, config);
        return config;
    }
}
