package io.meshwork.controlplane.source.local;

import static io.meshwork.controlplane.source.local.Manifests.docs;
import static io.meshwork.controlplane.source.local.GatewayManifests.CLASS;
import static io.meshwork.controlplane.source.local.GatewayManifests.gateway;
import static io.meshwork.controlplane.source.local.GatewayManifests.secret;
import static io.meshwork.controlplane.source.local.Manifests.reviews;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.certs.CertificateAuthority;
import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.ObjectRef;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gateway API Gateway, GatewayClass, ReferenceGrant and TLS Secrets in local mode: what is read, refused, warned. */
class GatewayValidationTest {

    private static final ObjectRef WEB = ObjectRef.of("default", "web");
    private static final CertificateAuthority CERTIFICATE = GatewayManifests.CERTIFICATE;

    private static final String LISTENERS = """
            - {name: http, port: 8080, protocol: HTTP}
            - name: https
              port: 8443
              protocol: HTTPS
              hostname: "*.example.com"
              tls: {mode: Terminate, certificateRefs: [{kind: Secret, name: a-cert}]}
              allowedRoutes: {namespaces: {from: All}}
            """;

    private static LoadResult load(String... documents) {
        return new LocalConfigLoader().load(Map.of("mesh.yaml", docs(reviews()), "gateway.yaml", docs(documents)));
    }

    /** The one problem of {@code documents}, as the CLI prints it without its location. */
    private static String onlyProblem(String... documents) {
        LoadResult result = load(documents);
        assertThat(result.snapshot().services()).as("the rest of the config").hasSize(3);
        assertThat(result.problems()).hasSize(1);
        return result.problems().get(0).withoutLocation();
    }

    @Test
    void aGatewayItsClassAndItsCertificateSecretAreRead() {
        LoadResult result = load(CLASS, gateway(LISTENERS), secret("default", "a-cert"));

        assertThat(result.problems()).isEmpty();
        Gateway web = result.snapshot().gateways().served(WEB).orElseThrow();
        assertThat(web.listeners()).extracting(Gateway.Listener::name, Gateway.Listener::port, Gateway.Listener::protocol,
                Gateway.Listener::hostname).containsExactly(
                org.assertj.core.groups.Tuple.tuple("http", 8080, Gateway.Protocol.HTTP, null),
                org.assertj.core.groups.Tuple.tuple("https", 8443, Gateway.Protocol.HTTPS, "*.example.com"));
        assertThat(web.listeners().get(1).certificates()).containsExactly(ObjectRef.of("default", "a-cert"));
        assertThat(web.listeners().get(1).allowedRoutes().allows("shop", WEB)).isTrue();
        assertThat(web.listeners().get(0).allowedRoutes().allows("shop", WEB)).as("Same by default").isFalse();
        assertThat(result.snapshot().gateways().secrets().get(ObjectRef.of("default", "a-cert")).certificateChain())
                .isEqualTo(CERTIFICATE.certificatePem());
        assertThat(result.snapshot().gateways().secrets().toString()).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aGatewayThatTurnsBadKeepsItsLastGoodVersionServing() {
        LocalConfigLoader loader = new LocalConfigLoader();
        loader.load(Map.of("mesh.yaml", docs(reviews()), "gateway.yaml", docs(CLASS, gateway(LISTENERS),
                secret("default", "a-cert"))));

        LoadResult bad = loader.load(Map.of("mesh.yaml", docs(reviews()), "gateway.yaml", docs(CLASS,
                gateway(LISTENERS.replace("protocol: HTTP}", "protocol: HTTP3}")), secret("default", "a-cert"))));

        assertThat(bad.problems()).singleElement().extracting(ConfigProblem::withoutLocation).asString()
                .startsWith("Gateway default/web: spec.listeners[0].protocol: \"HTTP3\" is not a protocol");
        assertThat(bad.snapshot().gateways().served(WEB).orElseThrow().listeners()).extracting(Gateway.Listener::name)
                .as("the last good version").containsExactly("http", "https");
    }

    @Test
    void aGatewayOfAnotherImplementationsClassIsNotServed() {
        LoadResult result = load(CLASS.replace("meshwork.io/gateway-controller", "istio.io/gateway-controller"),
                gateway(LISTENERS), secret("default", "a-cert"));

        assertThat(result.problems()).isEmpty();
        assertThat(result.snapshot().gateways().gateways()).containsKey(WEB);
        assertThat(result.snapshot().gateways().served(WEB)).isEmpty();
    }

    @Test
    void anUnknownProtocolIsRefusedWithOneLine() {
        assertThat(onlyProblem(CLASS, gateway("- {name: tcp, port: 9000, protocol: TCP}"))).isEqualTo(
                "Gateway default/web: spec.listeners[0].protocol: \"TCP\" is not a protocol Meshwork's gateway serves "
                        + "(HTTP, HTTPS)");
    }

    @Test
    void addressesAndInfrastructureParametersAreRefusedWithOneLine() {
        String http = "- {name: http, port: 8080, protocol: HTTP}";
        assertThat(onlyProblem(CLASS, gateway(http).replace("  listeners:", "  addresses: [{value: 10.0.0.1}]\n  listeners:")))
                .isEqualTo("Gateway default/web: spec.addresses: Meshwork's gateway takes no addresses: it listens on "
                        + "every address of the pod it runs in, reached through its Service (UnsupportedAddress)");
        assertThat(onlyProblem(CLASS, gateway(http).replace("  listeners:", "  infrastructure: {parametersRef: "
                + "{group: \"\", kind: ConfigMap, name: tuning}}\n  listeners:")))
                .isEqualTo("Gateway default/web: spec.infrastructure.parametersRef.kind: Meshwork's gateway takes no "
                        + "parameters (InvalidParameters)");
        assertThat(load(CLASS, gateway(http).replace("  listeners:", "  addresses: []\n  listeners:")).problems())
                .as("no addresses").isEmpty();
    }

    @Test
    void listenersSharingAPortWithTwoProtocolsAreRefusedWithOneLine() {
        assertThat(onlyProblem(CLASS, secret("default", "a-cert"), gateway("""
                - {name: http, port: 8080, protocol: HTTP}
                - {name: https, port: 8080, protocol: HTTPS, tls: {certificateRefs: [{name: a-cert}]}}
                """))).isEqualTo("Gateway default/web: spec.listeners[1].port: 8080 is also the port of listener "
                + "\"http\" with protocol HTTP (ProtocolConflict: listeners sharing a port need one protocol)");
        assertThat(onlyProblem(CLASS, gateway("""
                - {name: a, port: 8080, protocol: HTTP, hostname: a.example.com}
                - {name: b, port: 8080, protocol: HTTP, hostname: a.example.com}
                """))).isEqualTo("Gateway default/web: spec.listeners[1].hostname: \"a.example.com\" is also another "
                + "listener's on port 8080 (HostnameConflict)");
    }

    @Test
    void anHttpsListenerWithoutCertificatesOrWithABadHostnameIsRefused() {
        assertThat(onlyProblem(CLASS, gateway("- {name: https, port: 8443, protocol: HTTPS}"))).isEqualTo(
                "Gateway default/web: spec.listeners[0].tls: is required for an HTTPS listener (mode Terminate, "
                        + "certificateRefs)");
        assertThat(onlyProblem(CLASS, gateway("- {name: http, port: 80, protocol: HTTP, hostname: \"Bad_Name\"}")))
                .startsWith("Gateway default/web: spec.listeners[0].hostname: \"Bad_Name\" is not a host name");
    }

    @Test
    void aMissingCertificateSecretIsOneLineAndOnlyItsListenerIsLeftOut() {
        LoadResult result = load(CLASS, gateway(LISTENERS));

        assertThat(result.problems()).extracting(ConfigProblem::withoutLocation).containsExactly(
                "Gateway default/web: spec.listeners[1].tls.certificateRefs[0]: Secret default/a-cert is not a "
                        + "kubernetes.io/tls Secret that Meshwork has read (InvalidCertificateRef): listener \"https\" "
                        + "is not served");
        Gateway web = result.snapshot().gateways().served(WEB).orElseThrow();
        assertThat(web.listeners()).filteredOn(l -> result.snapshot().gateways().servable(web, l))
                .extracting(Gateway.Listener::name).containsExactly("http");
    }

    @Test
    void aCertificateInAnotherNamespaceNeedsAReferenceGrant() {
        String listener = """
                - name: https
                  port: 8443
                  protocol: HTTPS
                  tls: {certificateRefs: [{name: shared-cert, namespace: certs}]}
                """;
        assertThat(load(CLASS, gateway(listener), secret("certs", "shared-cert")).problems())
                .extracting(ConfigProblem::withoutLocation).containsExactly(
                        "Gateway default/web: spec.listeners[0].tls.certificateRefs[0]: Secret certs/shared-cert is in "
                                + "another namespace and no ReferenceGrant in certs lets Gateways of default refer to it "
                                + "(RefNotPermitted): listener \"https\" is not served");

        LoadResult granted = load(CLASS, gateway(listener), secret("certs", "shared-cert"), """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: gateways-read-certs, namespace: certs}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: default}]
                  to: [{group: "", kind: Secret}]
                """);
        assertThat(granted.problems()).isEmpty();
        Gateway web = granted.snapshot().gateways().served(WEB).orElseThrow();
        assertThat(granted.snapshot().gateways().servable(web, web.listeners().get(0))).isTrue();
    }

    @Test
    void aSecretWhoseKeyIsNotPemIsRefusedNamingTheFieldNotItsContent() {
        String bad = secret("default", "a-cert").replaceAll("tls.key: .*", "tls.key: "
                + Base64.getEncoder().encodeToString("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"
                .getBytes(StandardCharsets.US_ASCII)));

        String line = onlyProblem(bad);
        assertThat(line).isEqualTo("Secret default/a-cert: data.tls.key: is not an unencrypted PEM private key");
        assertThat(onlyProblem(secret("default", "a-cert").replace("kubernetes.io/tls", "Opaque"))).isEqualTo(
                "Secret default/a-cert: type: \"Opaque\" is not read: Meshwork reads only kubernetes.io/tls Secrets "
                        + "(the certificates of Gateway listeners)");
    }

    @Test
    void aRouteBackendInAnotherNamespaceIsRefusedWithoutAReferenceGrantAndRoutedWithOne() {
        String route = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: shop, namespace: shop}
                spec:
                  parentRefs: [{name: web, namespace: default, sectionName: https}]
                  hostnames: [shop.example.com]
                  rules: [{backendRefs: [{name: reviews-v1, namespace: default, port: 9080}]}]
                """;
        assertThat(load(CLASS, gateway(LISTENERS), secret("default", "a-cert"), route).problems())
                .extracting(ConfigProblem::withoutLocation).containsExactly(
                        "HTTPRoute shop/shop: spec.rules[0].backendRefs[0].name: \"default/reviews-v1\" is in another "
                                + "namespace and no ReferenceGrant in default lets HTTPRoutes of shop refer to it "
                                + "(RefNotPermitted): requests for this backend's share (weight 1) are answered 500");
        assertThat(load(CLASS, gateway(LISTENERS), secret("default", "a-cert"), route, """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: shop-routes, namespace: default}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
                  to: [{group: "", kind: Service, name: reviews-v1}]
                """).problems()).isEmpty();
    }

    @Test
    void aRouteNoListenerTakesIsWarned() {
        List<String> problems = load(CLASS, gateway(LISTENERS), secret("default", "a-cert"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: other, namespace: default}
                spec:
                  parentRefs: [{name: web, sectionName: https}]
                  hostnames: [example.org]
                  rules: [{backendRefs: [{name: reviews-v1, port: 9080}]}]
                """).problems().stream().map(ConfigProblem::withoutLocation).toList();

        assertThat(problems).containsExactly("HTTPRoute default/other: spec.parentRefs[0]: no listener of Gateway "
                + "default/web takes this route (its sectionName or port names none, allowedRoutes leave out namespace "
                + "default, or no hostname intersects the listener's): it is not served there");
    }
}
