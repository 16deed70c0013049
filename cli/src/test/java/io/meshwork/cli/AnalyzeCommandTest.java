package io.meshwork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyzeCommandTest {

    @TempDir
    Path dir;

    @Test
    void validFolderReportsWhatItHoldsAndExitsZero() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), SplitCommandTest.CONFIG);

        CliRun run = CliRun.run("analyze", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("3 services").contains("1 traffic split,").contains("0 errors");
    }

    @Test
    void everyProblemIsPrintedWithItsFileAndTheExitCodeSaysErrors() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), SplitCommandTest.CONFIG.replace("service: reviews-v2", "service: reviews-v9"));

        CliRun run = CliRun.run("analyze", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.out()).contains("Error").contains("mesh.yaml").contains("reviews-v9").contains("1 error,");

        CliRun json = CliRun.run("analyze", "--config-dir", dir.toString(), "-o", "json");
        assertThat(json.exitCode()).isEqualTo(3);
        var node = OutputFormat.JSON.readTree(json.out());
        assertThat(node.path("errors").asInt()).isEqualTo(1);
        assertThat(node.path("problems").get(0).path("severity").asString()).isEqualTo("error");
        assertThat(node.path("problems").get(0).path("message").asString()).contains("mesh.yaml").contains("reviews-v9");
    }

    @Test
    void anHttpRouteOverridingATrafficSplitIsAWarningNamingBoth() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), SplitCommandTest.CONFIG);
        Files.writeString(dir.resolve("route.yaml"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews-route, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews}]
                  rules: [{backendRefs: [{name: reviews-v2, port: 9080}]}]
                """);

        CliRun run = CliRun.run("analyze", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Warning mesh.yaml").contains("TrafficSplit default/reviews: spec.service: "
                + "overridden by HTTPRoute default/reviews-route on port 9080 of Service default/reviews")
                .contains("1 HTTP route;").contains("1 warning");
    }

    @Test
    void gatewaysAreCountedAndWhatKeepsOneFromServingIsOneLineEach() throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), SplitCommandTest.CONFIG);
        Files.writeString(dir.resolve("gateway.yaml"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: meshwork}
                spec: {controllerName: meshwork.io/gateway-controller}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: istio}
                spec: {controllerName: istio.io/gateway-controller}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web, namespace: default}
                spec:
                  gatewayClassName: meshwork
                  listeners:
                  - {name: http, port: 8080, protocol: HTTP, hostname: "*.example.com"}
                  - {name: https, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: web-cert}]}}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners: [{name: http, port: 80, protocol: HTTP}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: elsewhere, namespace: default}
                spec:
                  parentRefs: [{name: web, sectionName: http}]
                  hostnames: [reviews.example.org]
                  rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]
                """);

        CliRun run = CliRun.run("analyze", "--config-dir", dir.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out().lines().filter(l -> l.startsWith("Warning"))).satisfiesExactlyInAnyOrder(
                l -> assertThat(l).contains("Gateway default/web: spec.listeners[1].tls.certificateRefs[0]: Secret "
                        + "default/web-cert").endsWith("listener \"https\" is not served"),
                l -> assertThat(l).contains("HTTPRoute default/elsewhere: spec.parentRefs[0]: no listener of Gateway "
                        + "default/web takes this route"),
                l -> assertThat(l).isEqualTo("Warning Gateway default/edge: spec.gatewayClassName: GatewayClass \"istio\" "
                        + "is controller istio.io/gateway-controller's, not Meshwork's (meshwork.io/gateway-controller): "
                        + "no mesh gateway serves this Gateway"));
        assertThat(run.out()).contains("1 HTTP route, 2 gateways; 0 errors, 3 warnings");
        assertThat(OutputFormat.JSON.readTree(CliRun.run("analyze", "--config-dir", dir.toString(), "-o", "json").out())
                .path("gateways").asInt()).isEqualTo(2);
    }

    @Test
    void missingFolderIsAnError() {
        CliRun run = CliRun.run("analyze", "--config-dir", dir.resolve("nope").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("does not exist");
    }
}
