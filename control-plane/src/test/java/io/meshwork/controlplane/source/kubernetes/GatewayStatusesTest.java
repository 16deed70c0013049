package io.meshwork.controlplane.source.kubernetes;

import static io.meshwork.controlplane.source.kubernetes.MockApiServer.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.xds.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Gateway API status the control plane writes on Meshwork's GatewayClasses, their Gateways and the routes attached
 * to them, against fabric8's mock API server in CRUD mode: each reason the spec gives, a fixed Gateway turning
 * Accepted, other implementations' objects left alone, and nothing written again while nothing changes.
 */
class GatewayStatusesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String HTTP = "{name: http, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}";

    private MockApiServer api;
    private KubernetesClient client;
    private KubernetesSource source;
    private final AtomicReference<MeshSnapshot> latest = new AtomicReference<>();

    @BeforeEach
    void start() {
        api = new MockApiServer();
        client = api.client();
        client.services().resource(service("store", Map.of("app", "store"), 8080)).create();
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                .withName("shop").endMetadata().build()).create();
        classes().resource(object("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: meshwork, generation: 1}
                spec: {controllerName: meshwork.io/gateway-controller}
                """)).create();
        classes().resource(object("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: other, generation: 1}
                spec: {controllerName: example.net/gateway-controller}
                """)).create();
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        api.close();
    }

    @Test
    void meshworksClassIsAcceptedAndAnotherControllersIsLeftAlone() throws Exception {
        gateway("theirs", "other", "[" + HTTP + "]", "");
        startSource();

        Eventually.await(WAIT, "the status of GatewayClass meshwork", () -> !conditionsOf(classes().withName("meshwork")
                .get()).isEmpty());
        assertThat(conditionsOf(classes().withName("meshwork").get())).containsExactly("Accepted=True Accepted");
        assertThat(classes().withName("other").get().getAdditionalProperties()).doesNotContainKey("status");
        assertThat(gateways().withName("theirs").get().getAdditionalProperties()).doesNotContainKey("status");
    }

    @Test
    void aServedGatewayIsAcceptedAndPendingUntilAGatewayProxyAcksAndCountsItsRoutes() throws Exception {
        gateway("web", "meshwork", "[" + HTTP + "]", "");
        route("default", "store", "{name: web}", "[store.example.com]", "{name: store, port: 8080}");
        route("default", "second", "{name: web, sectionName: http}", "[]", "{name: store, port: 8080}");
        startSource();

        assertThat(conditions("web")).containsExactly("Accepted=True Accepted", "Programmed=False Pending");
        assertThat(message("web", "Programmed"))
                .isEqualTo("no mesh gateway of node group gateway/default/web is connected to the control plane");
        Map<String, Object> listener = listener("web", "http");
        assertThat(listener.get("supportedKinds")).isEqualTo(List.of(
                Map.of("group", "gateway.networking.k8s.io", "kind", "HTTPRoute"),
                Map.of("group", "gateway.networking.k8s.io", "kind", "GRPCRoute")));
        assertThat(((Number) listener.get("attachedRoutes")).longValue()).isEqualTo(2);
        assertThat(listenerConditions("web", "http")).containsExactly("Accepted=True Accepted",
                "ResolvedRefs=True ResolvedRefs", "Conflicted=False NoConflicts", "Programmed=False Pending");
        assertThat(((Number) condition("web", "Accepted").get("observedGeneration")).longValue()).isEqualTo(1);
    }

    @Test
    void programmedFollowsWhatTheXdsServerSaysOfTheGatewaysProxies() throws Exception {
        gateway("web", "meshwork", "[" + HTTP + "]", "");
        AtomicReference<KubernetesSource.GatewayProgramming> state =
                new AtomicReference<>(new KubernetesSource.GatewayProgramming(1, 0, null));
        source = new KubernetesSource(client).gatewayProgramming(gateway -> state.get());
        source.start(latest::set, () -> { });
        assertThat(conditions("web")).containsExactly("Accepted=True Accepted", "Programmed=False Pending");
        assertThat(message("web", "Programmed"))
                .isEqualTo("no mesh gateway of node group gateway/default/web has acknowledged the current config yet");

        state.set(new KubernetesSource.GatewayProgramming(1, 0, "proxy router~web.default~a refused version 3: bad"));
        source.refresh();
        Eventually.await(WAIT, "Programmed False Invalid", () -> conditionsNow("web")
                .equals(List.of("Accepted=True Accepted", "Programmed=False Invalid")));
        assertThat(message("web", "Programmed")).isEqualTo("proxy router~web.default~a refused version 3: bad");

        state.set(new KubernetesSource.GatewayProgramming(2, 1, null));
        source.refresh();
        Eventually.await(WAIT, "Programmed True", () -> conditionsNow("web")
                .equals(List.of("Accepted=True Accepted", "Programmed=True Programmed")));
        assertThat(listenerConditions("web", "http")).endsWith("Programmed=True Programmed");
    }

    @Test
    void eachListenerProblemGetsTheReasonTheSpecGives() throws Exception {
        gateway("tls", "meshwork", """
                [%s,
                 {name: own, port: 8443, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: a-cert}]}},
                 {name: cross, port: 8443, protocol: HTTPS, hostname: b.example.com,
                  tls: {certificateRefs: [{name: b-cert, namespace: shop}]}}]""".formatted(HTTP), "");
        gateway("udp", "meshwork", "[" + HTTP + ", {name: dns, port: 53, protocol: UDP}]", "");
        gateway("protocols", "meshwork", "[" + HTTP + ", {name: tls, port: 8080, protocol: HTTPS, "
                + "tls: {certificateRefs: [{name: a-cert}]}}]", "");
        gateway("hosts", "meshwork", "[" + HTTP + ", {name: again, port: 8080, protocol: HTTP}]", "");
        gateway("kinds", "meshwork", "[{name: tcp, port: 9000, protocol: HTTP, allowedRoutes: {kinds: [{kind: TCPRoute}]}}]", "");
        gateway("passthrough", "meshwork", "[{name: pass, port: 8443, protocol: HTTPS, tls: {mode: Passthrough}}]", "");
        gateway("addresses", "meshwork", "[" + HTTP + "]", "addresses: [{type: IPAddress, value: 10.0.0.1}]");
        gateway("params", "meshwork", "[" + HTTP + "]", "infrastructure: {parametersRef: {group: \"\", kind: ConfigMap, "
                + "name: tuning}}");
        startSource();

        assertThat(conditions("tls")).containsExactly("Accepted=True ListenersNotValid", "Programmed=False Pending");
        assertThat(message("tls", "Accepted"))
                .isEqualTo("listeners \"own\", \"cross\" cannot be served (see its conditions); the others are");
        assertThat(listenerConditions("tls", "own")).contains("ResolvedRefs=False InvalidCertificateRef",
                "Programmed=False Invalid");
        assertThat(listenerConditions("tls", "cross")).contains("ResolvedRefs=False RefNotPermitted");
        assertThat(listenerConditions("tls", "http")).containsExactly("Accepted=True Accepted",
                "ResolvedRefs=True ResolvedRefs", "Conflicted=False NoConflicts", "Programmed=False Pending");

        assertThat(conditions("udp")).containsExactly("Accepted=False ListenersNotValid", "Programmed=False Invalid");
        assertThat(message("udp", "Accepted")).startsWith("Gateway default/udp: spec.listeners[1].protocol:");
        assertThat(listenerConditions("udp", "dns")).startsWith("Accepted=False UnsupportedProtocol");
        assertThat(listOf(listener("udp", "dns").get("supportedKinds"))).isEmpty();
        assertThat(((Number) listener("udp", "http").get("attachedRoutes")).longValue()).isZero();

        assertThat(listenerConditions("protocols", "tls")).contains("Conflicted=True ProtocolConflict");
        assertThat(listenerConditions("hosts", "again")).contains("Conflicted=True HostnameConflict");
        assertThat(listenerConditions("hosts", "http")).contains("Conflicted=False NoConflicts");
        assertThat(listenerConditions("kinds", "tcp")).contains("ResolvedRefs=False InvalidRouteKinds");
        assertThat(listOf(listener("kinds", "tcp").get("supportedKinds"))).isEmpty();
        assertThat(listenerConditions("passthrough", "pass")).startsWith("Accepted=False UnsupportedValue");
        assertThat(conditions("addresses")).startsWith("Accepted=False UnsupportedAddress");
        assertThat(conditions("params")).startsWith("Accepted=False InvalidParameters");
    }

    @Test
    void routesOnAGatewayGetTheParentReasonsTheSpecGives() throws Exception {
        gateway("web", "meshwork", "[{name: http, port: 8080, protocol: HTTP, hostname: \"*.example.com\"}]", "");
        gateway("theirs", "other", "[" + HTTP + "]", "");
        route("default", "attached", "{name: web}", "[store.example.com]", "{name: store, port: 8080}");
        route("default", "elsewhere", "{name: web}", "[store.example.org]", "{name: store, port: 8080}");
        route("default", "no-section", "{name: web, sectionName: https}", "[]", "{name: store, port: 8080}");
        route("shop", "foreign", "{name: web, namespace: default}", "[]", "{name: store, namespace: default, port: 8080}");
        route("default", "bucket", "{name: web}", "[]", "{group: storage.example.net, kind: Bucket, name: b}");
        route("default", "on-theirs", "{name: theirs}", "[]", "{name: store, port: 8080}");
        startSource();

        assertThat(routeConditions("default", "attached")).containsExactly("Accepted=True Accepted",
                "ResolvedRefs=True ResolvedRefs");
        assertThat(routeConditions("default", "elsewhere")).startsWith("Accepted=False NoMatchingListenerHostname");
        assertThat(routeConditions("default", "no-section")).startsWith("Accepted=False NoMatchingParent");
        assertThat(routeConditions("shop", "foreign")).startsWith("Accepted=False NotAllowedByListeners");
        assertThat(routeConditions("default", "bucket")).containsExactly("Accepted=True Accepted",
                "ResolvedRefs=False InvalidKind");
        assertThat(routeMessage("default", "bucket", "ResolvedRefs")).isEqualTo("spec.rules[0]: \"storage.example.net/"
                + "Bucket\" b is not a backend kind Meshwork routes to (Service) (InvalidKind)");
        assertThat(((Number) listener("web", "http").get("attachedRoutes")).longValue()).isEqualTo(2);
        assertThat(routes("default").withName("on-theirs").get().getAdditionalProperties())
                .as("a Gateway of another class is another implementation's to report on").doesNotContainKey("status");
    }

    @Test
    void grpcRoutesAttachAsHttpRoutesAndTheNewerOfTwoKindsSharingAHostNameIsConflicted() throws Exception {
        gateway("rpc", "meshwork", "[{name: http, port: 8080, protocol: HTTP, hostname: \"*.example.com\"}]", "");
        gateway("web-only", "meshwork", "[{name: http, port: 8080, protocol: HTTP, allowedRoutes: {kinds: [{kind: "
                + "HTTPRoute}]}}]", "");
        grpcRoute("a-grpc", "{name: rpc}");
        route("default", "z-http", "{name: rpc}", "[ratings.example.com]", "{name: store, port: 8080}");
        grpcRoute("b-grpc", "{name: web-only}");
        startSource();

        assertThat(grpcRouteConditions("a-grpc")).containsExactly("Accepted=True Accepted", "ResolvedRefs=True ResolvedRefs");
        assertThat(routeConditions("default", "z-http")).startsWith("Accepted=False Conflicted");
        assertThat(routeMessage("default", "z-http", "Accepted")).isEqualTo("host name ratings.example.com of Gateway "
                + "default/rpc is GRPCRoute default/a-grpc's, the older route");
        assertThat(grpcRouteConditions("b-grpc")).startsWith("Accepted=False NotAllowedByListeners");
        assertThat(((Number) listener("rpc", "http").get("attachedRoutes")).longValue()).isEqualTo(1);
        assertThat(listener("rpc", "http").get("supportedKinds")).isEqualTo(List.of(
                Map.of("group", "gateway.networking.k8s.io", "kind", "HTTPRoute"),
                Map.of("group", "gateway.networking.k8s.io", "kind", "GRPCRoute")));
        assertThat(listener("web-only", "http").get("supportedKinds")).isEqualTo(List.of(
                Map.of("group", "gateway.networking.k8s.io", "kind", "HTTPRoute")));
    }

    private void grpcRoute(String name, String parent) {
        client.genericKubernetesResources(KubernetesSource.GRPC_ROUTE.context()).inNamespace("default").resource(object("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: %s, namespace: default, generation: 1}
                spec:
                  parentRefs: [%s]
                  hostnames: [ratings.example.com]
                  rules: [{backendRefs: [{name: store, port: 8080}]}]
                """.formatted(name, parent))).create();
    }

    private List<String> grpcRouteConditions(String route) throws InterruptedException {
        java.util.function.Supplier<List<Map<String, Object>>> ours = () -> listOf(status(client.genericKubernetesResources(
                KubernetesSource.GRPC_ROUTE.context()).inNamespace("default").withName(route).get()).get("parents")).stream()
                .filter(p -> RouteStatuses.CONTROLLER.equals(p.get("controllerName")))
                .flatMap(p -> listOf(p.get("conditions")).stream()).toList();
        Eventually.await(WAIT, "the status of GRPCRoute " + route, () -> !ours.get().isEmpty());
        return ours.get().stream().map(GatewayStatusesTest::text).toList();
    }

    @Test
    void aFixedGatewayTurnsAcceptedAndASteadyMeshWritesNoStatusAgain() throws Exception {
        gateway("web", "meshwork", "[" + HTTP + ", {name: dns, port: 53, protocol: UDP}]", "");
        startSource();
        assertThat(conditions("web")).containsExactly("Accepted=False ListenersNotValid", "Programmed=False Invalid");
        String refusedSince = condition("web", "Accepted").get("lastTransitionTime").toString();
        String invalidSince = condition("web", "Programmed").get("lastTransitionTime").toString();

        GenericKubernetesResource fixed = gateways().withName("web").get();
        fixed.getAdditionalProperties().put("spec", spec(object(gatewayYaml("web", "meshwork", "[" + HTTP + "]", ""))));
        fixed.getMetadata().setGeneration(2L);
        gateways().resource(fixed).update();

        Eventually.await(WAIT, "the fixed Gateway accepted", () -> conditionsNow("web")
                .equals(List.of("Accepted=True Accepted", "Programmed=False Pending")));
        assertThat(condition("web", "Accepted").get("lastTransitionTime")).isNotEqualTo(refusedSince);
        assertThat(condition("web", "Programmed").get("lastTransitionTime"))
                .as("Programmed stayed False: its time stays").isEqualTo(invalidSince);
        assertThat(((Number) condition("web", "Accepted").get("observedGeneration")).longValue()).isEqualTo(2);
        assertThat(listeners("web")).extracting(l -> l.get("name")).containsExactly("http");

        long writes = statusWrites();
        long rebuilds = source.rebuilds();
        client.services().resource(service("details", Map.of("app", "details"), 9080)).create();
        // the Gateways' statuses are written after the rebuild hands its snapshot on, before it counts as done
        Eventually.await(WAIT, "the rebuild with details done", () -> latest.get() != null
                && latest.get().services().containsKey(ObjectRef.of("default", "details")) && source.rebuilds() > rebuilds);
        assertThat(statusWrites()).as("no status written when none changed").isEqualTo(writes);
        assertThat(writes).as("the class once, the Gateway refused then accepted").isEqualTo(3);
    }

    private void startSource() throws Exception {
        source = new KubernetesSource(client);
        source.start(latest::set, () -> { });
    }

    private long statusWrites() {
        return api.requests().stream().filter(r -> !r.method().equals("GET") && r.path().contains("/status")
                && (r.path().contains("/gateways/") || r.path().contains("/gatewayclasses/"))).count();
    }

    private void gateway(String name, String className, String listeners, String more) {
        gateways().resource(object(gatewayYaml(name, className, listeners, more))).create();
    }

    private static String gatewayYaml(String name, String className, String listeners, String more) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: %s, namespace: default, generation: 1}
                spec:
                  gatewayClassName: %s
                  listeners: %s
                  %s
                """.formatted(name, className, listeners.replace("\n", " "), more);
    }

    private void route(String namespace, String name, String parent, String hostnames, String backend) {
        routes(namespace).resource(object("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: %s, namespace: %s, generation: 1}
                spec:
                  parentRefs: [%s]
                  hostnames: %s
                  rules: [{backendRefs: [%s]}]
                """.formatted(name, namespace, parent, hostnames, backend))).create();
    }

    private static GenericKubernetesResource object(String yaml) {
        return Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    }

    private static Object spec(GenericKubernetesResource object) {
        return object.getAdditionalProperties().get("spec");
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> gateways() {
        return client.genericKubernetesResources(KubernetesSource.GATEWAY.context()).inNamespace("default");
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> routes(String namespace) {
        return client.genericKubernetesResources(KubernetesSource.HTTP_ROUTE.context()).inNamespace(namespace);
    }

    private io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> classes() {
        return client.genericKubernetesResources(new ResourceDefinitionContext.Builder()
                .withGroup("gateway.networking.k8s.io").withVersion("v1").withKind("GatewayClass")
                .withPlural("gatewayclasses").withNamespaced(false).build());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource object) {
        return object.getAdditionalProperties().get("status") instanceof Map<?, ?> s ? (Map<String, Object>) s : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listOf(Object value) {
        return value instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private static List<String> conditionsOf(GenericKubernetesResource object) {
        return listOf(status(object).get("conditions")).stream().map(GatewayStatusesTest::text).toList();
    }

    private static String text(Map<String, Object> condition) {
        return condition.get("type") + "=" + condition.get("status") + " " + condition.get("reason");
    }

    /** The Gateway's conditions as {@code type=status reason}, once it has some. */
    private List<String> conditions(String gateway) throws InterruptedException {
        Eventually.await(WAIT, "the status of Gateway " + gateway, () -> !conditionsNow(gateway).isEmpty());
        return conditionsNow(gateway);
    }

    private List<String> conditionsNow(String gateway) {
        return conditionsOf(gateways().withName(gateway).get());
    }

    private Map<String, Object> condition(String gateway, String type) {
        return listOf(status(gateways().withName(gateway).get()).get("conditions")).stream()
                .filter(c -> type.equals(c.get("type"))).findFirst().orElseThrow();
    }

    private String message(String gateway, String type) {
        return condition(gateway, type).get("message").toString();
    }

    private List<Map<String, Object>> listeners(String gateway) {
        return listOf(status(gateways().withName(gateway).get()).get("listeners"));
    }

    private Map<String, Object> listener(String gateway, String name) throws InterruptedException {
        conditions(gateway);
        return listeners(gateway).stream().filter(l -> name.equals(l.get("name"))).findFirst().orElseThrow();
    }

    private List<String> listenerConditions(String gateway, String name) throws InterruptedException {
        return listOf(listener(gateway, name).get("conditions")).stream().map(GatewayStatusesTest::text).toList();
    }

    private List<Map<String, Object>> ourRouteConditions(String namespace, String route) {
        return listOf(status(routes(namespace).withName(route).get()).get("parents")).stream()
                .filter(p -> RouteStatuses.CONTROLLER.equals(p.get("controllerName")))
                .flatMap(p -> listOf(p.get("conditions")).stream()).toList();
    }

    private List<String> routeConditions(String namespace, String route) throws InterruptedException {
        Eventually.await(WAIT, "the status of HTTPRoute " + route, () -> !ourRouteConditions(namespace, route).isEmpty());
        return ourRouteConditions(namespace, route).stream().map(GatewayStatusesTest::text).toList();
    }

    private String routeMessage(String namespace, String route, String type) {
        return ourRouteConditions(namespace, route).stream().filter(c -> type.equals(c.get("type"))).findFirst()
                .orElseThrow().get("message").toString();
    }
}
