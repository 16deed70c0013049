package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitCommandTest {

    static final String CONFIG = """
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec:
              selector: {app: reviews}
              ports: [{name: http, port: 9080, appProtocol: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews-v1, namespace: default}
            spec:
              selector: {app: reviews, version: v1}
              ports: [{name: http, port: 9080, appProtocol: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews-v2, namespace: default}
            spec:
              selector: {app: reviews, version: v2}
              ports: [{name: http, port: 9080, appProtocol: http}]
            ---
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: reviews, namespace: default}
            spec:
              service: reviews
              backends:
                - service: reviews-v1
                  weight: 90
                - service: reviews-v2
                  weight: 10
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void writeConfig() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), CONFIG);
    }

    @Test
    void getPrintsBackendsWeightsAndShares() {
        CliRun run = CliRun.run("split", "get", "reviews", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("TrafficSplit default/reviews").containsPattern("reviews-v1\\s+90\\s+90%")
                .containsPattern("reviews-v2\\s+10\\s+10%");
    }

    @Test
    void setWritesTheWeightsAndPrintsBeforeAndAfter() throws IOException {
        CliRun run = CliRun.run("split", "set", "reviews", "reviews-v1=0", "reviews-v2=100", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).containsPattern("reviews-v2\\s+10 \\(10%\\)\\s+100 \\(100%\\)");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).contains("weight: 100").contains("weight: 0");
    }

    @Test
    void onAnHttpRouteABackendThatIsNoServiceIsRefusedAndTheRouteIsLeftAsItWas() throws IOException {
        String route = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews}]
                  rules: [{backendRefs: [{name: reviews-v1, port: 9080, weight: 90}, {name: reviews-v2, port: 9080, weight: 10}]}]
                """;
        Files.writeString(dir.resolve("route.yaml"), route);

        CliRun typo = CliRun.run("split", "set", "reviews", "reviews-v2=50", "reviews-v9=1", "--config-dir", dir.toString());
        CliRun good = CliRun.run("split", "set", "reviews", "reviews-v2=50", "--config-dir", dir.toString());

        assertThat(typo.exitCode()).isEqualTo(1);
        assertThat(typo.err()).isEqualTo("error: HTTPRoute default/reviews was not changed: route.yaml: spec.rules[0].backendRefs: "
                + "reviews-v9 is not a Service in namespace default (its share would be answered 500)\n");
        assertThat(good.exitCode()).as(good.err()).isZero();
        assertThat(good.out()).startsWith("HTTPRoute default/reviews updated");
        assertThat(Files.readString(dir.resolve("route.yaml"))).contains("{name: reviews-v2, port: 9080, weight: 50}")
                .doesNotContain("reviews-v9");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).as("the overridden split is left alone").isEqualTo(CONFIG);
    }

    @Test
    void unknownServiceIsAnErrorNamingIt() {
        CliRun run = CliRun.run("split", "get", "ratings", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("error: no TrafficSplit, HTTPRoute or GRPCRoute for service \"ratings\"").doesNotContain("Exception");
    }

    @Test
    void weightThatDoesNotParseIsAnErrorAndNothingIsWritten() throws IOException {
        CliRun run = CliRun.run("split", "set", "reviews", "reviews-v2=ten", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("weight of reviews-v2 is not an integer: \"ten\"");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(CONFIG);
    }

    @Test
    void backendThatIsNotAServiceIsRejectedAndNothingIsWritten() throws IOException {
        CliRun run = CliRun.run("split", "set", "reviews", "reviews-v9=10", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("reviews-v9");
        assertThat(Files.readString(dir.resolve("mesh.yaml"))).isEqualTo(CONFIG);
    }

    @Test
    void missingConfigDirIsAnError() {
        CliRun run = CliRun.run("split", "get", "reviews", "--config-dir", dir.resolve("nope").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("config dir").contains("does not exist");
    }

    @Test
    void argumentThatIsNotBackendEqualsWeightIsAnError() {
        CliRun run = CliRun.run("split", "set", "reviews", "reviews-v2", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("\"reviews-v2\" is not BACKEND=WEIGHT");
    }
}
