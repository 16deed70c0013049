package io.meshwork.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.Resources;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.translate.Translator;
import io.meshwork.controlplane.xds.Eventually;
import io.meshwork.controlplane.xds.NamedBackend;
import io.meshwork.controlplane.xds.XdsBootstrap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole local mode against grpc-java's own xDS client: YAML files in a folder, the real loader,
 * translator, validator and ADS server ({@link LocalMode}), and a proxyless gRPC channel to
 * {@code xds:///reviews.default.svc.cluster.local:9080} whose calls reach two real backends.
 * Changes are made the way users make them: by writing the files.
 */
class LocalModeInteropTest {

    private static final int PORT = 9080;
    private static final String TARGET = "xds:///reviews.default.svc.cluster.local:" + PORT;
    private static final String RDS = Resources.V3.ROUTE_TYPE_URL;
    private static final String CONFIG_ERRORS = "mesh_controlplane_config_errors_total";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path config;
    private static NamedBackend v1;
    private static NamedBackend v2;
    private static ControlPlane controlPlane;
    private static AdminEndpoint admin;
    private static ManagedChannel channel;
    private static Channel canaryChannel;

    @BeforeAll
    static void start() throws Exception {
        v1 = new NamedBackend("reviews-v1");
        v2 = new NamedBackend("reviews-v2");
        Files.writeString(config.resolve("services.yaml"), services());
        Files.writeString(config.resolve("workloads.yaml"), String.join("---\n",
                workload("reviews-v1-0", "v1", v1.port()), workload("reviews-v2-0", "v2", v2.port())));
        Files.writeString(config.resolve("canary.yaml"), canary());
        Files.writeString(config.resolve("split.yaml"), split(90, 10));
        controlPlane = LocalMode.controlPlane(new ControlPlane.Options("127.0.0.1", 0, 0), config).start();
        admin = new AdminEndpoint(controlPlane.adminPort());
        XdsBootstrap.proxylessClient(controlPlane.xdsPort(), "proxyless~reviews-client", "default");
        channel = Grpc.newChannelBuilder(TARGET, InsecureChannelCredentials.create()).build();
        Metadata canary = new Metadata();
        canary.put(Metadata.Key.of("x-canary", Metadata.ASCII_STRING_MARSHALLER), "true");
        canaryChannel = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(canary));
        // The first call resolves through xDS (LDS, RDS, CDS, EDS), which takes a few seconds.
        NamedBackend.call(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controlPlane.close();
        v1.close();
        v2.close();
    }

    @AfterEach
    void clientNeverNacked() throws Exception {
        assertThat(admin.proxies()).as("/debug/proxies").isNotEmpty().allSatisfy(proxy -> assertThat(
                proxy.getFieldsOrThrow("lastNack").getKindCase()).as("lastNack of %s", proxy.getFieldsOrThrow("id"))
                .isEqualTo(Value.KindCase.NULL_VALUE));
        assertThat(admin.metric("mesh_controlplane_nacks_total")).isZero();
    }

    @Test
    void split90To10SendsAbout90PercentOfCallsToV1() throws Exception {
        serve(split(90, 10));

        int toV1 = NamedBackend.callsTo(channel, "reviews-v1", 2000);

        assertThat(toV1 / 2000.0).isBetween(0.87, 0.93);
    }

    @Test
    void splitFileReplacedByAtomicMoveTo0To100MovesEveryCallToV2Within2Seconds() throws Exception {
        serve(split(90, 10));

        long written = System.nanoTime();
        replace("split.yaml", split(0, 100));

        assertEveryCallGoesToV2Within2Seconds(written, "atomic move");
    }

    @Test
    void splitFileRewrittenInPlaceTo0To100MovesEveryCallToV2Within2Seconds() throws Exception {
        serve(split(90, 10));

        long written = System.nanoTime();
        Files.writeString(config.resolve("split.yaml"), split(0, 100));

        assertEveryCallGoesToV2Within2Seconds(written, "in-place write");
    }

    @Test
    void canaryHeaderCallsGoToV2OnlyWhileOthersFollowTheDefaultSplit() throws Exception {
        serve(split(90, 10));

        int canaryToV2 = NamedBackend.callsTo(canaryChannel, "reviews-v2", 500);
        int othersToV1 = NamedBackend.callsTo(channel, "reviews-v1", 2000);

        assertThat(canaryToV2).as("calls with x-canary: true that reached v2").isEqualTo(500);
        assertThat(othersToV1 / 2000.0).isBetween(0.87, 0.93);
    }

    @Test
    void splitFileThatIsNotYamlKeepsTheRoutingAndCountsAConfigError() throws Exception {
        serve(split(0, 100));
        String ackedRoutes = ackedRoutes();
        double errors = admin.metric(CONFIG_ERRORS);

        replace("split.yaml", "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\nspec: {service: [reviews\n");

        assertKeepsRoutingAndCountsError(ackedRoutes, errors);
    }

    @Test
    void trafficSplitThatFailsValidationKeepsTheRoutingAndCountsAConfigError() throws Exception {
        serve(split(0, 100));
        String ackedRoutes = ackedRoutes();
        double errors = admin.metric(CONFIG_ERRORS);

        replace("split.yaml", split(0, 100).replace("weight: 100", "weight: -100"));

        assertKeepsRoutingAndCountsError(ackedRoutes, errors);
    }

    private static void assertEveryCallGoesToV2Within2Seconds(long written, String how) {
        OptionalLong streak = NamedBackend.awaitStreak(channel, "reviews-v2", 50, Duration.ofSeconds(2));

        assertThat(streak).as("50 calls in a row to v2 within 2 s of the %s", how).isPresent();
        System.out.printf("split.yaml 90/10 -> 0/100 (%s): every call to v2 from %d ms after the write%n", how,
                TimeUnit.NANOSECONDS.toMillis(streak.getAsLong() - written));
        assertThat(NamedBackend.callsTo(channel, "reviews-v2", 200)).isEqualTo(200);
    }

    private static void assertKeepsRoutingAndCountsError(String ackedRoutes, double errorsBefore) throws Exception {
        Eventually.await(WAIT, CONFIG_ERRORS + " above " + errorsBefore,
                () -> uncheckedMetric(CONFIG_ERRORS) > errorsBefore);

        assertThat(NamedBackend.callsTo(channel, "reviews-v2", 200)).isEqualTo(200);
        assertThat(ackedRoutes()).isEqualTo(ackedRoutes);
    }

    /** Writes the split file and waits until the client has ACKed the routes the folder now translates to. */
    private static void serve(String splitYaml) throws Exception {
        replace("split.yaml", splitYaml);
        // The translator is a pure function: the route version the client must reach is known up front.
        String routes = Translator.translate(new LocalConfigLoader().load(config).snapshot(),
                ProxyNode.proxyless("default")).routesVersion();
        Eventually.await(WAIT, "client ACKs route version " + routes, () -> routes.equals(ackedRoutes()));
    }

    /** As editors save: write a temporary file beside it (hidden, so not read), then rename it over the old one. */
    private static void replace(String file, String yaml) throws IOException {
        Path temporary = config.resolve("." + file + ".tmp");
        Files.writeString(temporary, yaml, StandardCharsets.UTF_8);
        Files.move(temporary, config.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The RDS version that the one proxyless client ACKed last, per the admin endpoint. */
    private static String ackedRoutes() {
        Struct proxy = fromAdmin(admin::proxies).get(0);
        return proxy.getFieldsOrThrow("acked").getStructValue()
                .getFieldsOrDefault(RDS, Value.getDefaultInstance()).getStringValue();
    }

    private static double uncheckedMetric(String name) {
        return fromAdmin(() -> admin.metric(name));
    }

    private static <T> T fromAdmin(Callable<T> read) {
        try {
            return read.call();
        } catch (Exception e) {
            throw new AssertionError("admin endpoint on port " + controlPlane.adminPort() + ": " + e, e);
        }
    }

    private static String services() {
        return String.join("---\n", service("reviews", "{app: reviews}"),
                service("reviews-v1", "{app: reviews, version: v1}"),
                service("reviews-v2", "{app: reviews, version: v2}"));
    }

    private static String service(String name, String selector) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s}
                spec:
                  selector: %s
                  ports: [{name: grpc, port: 9080, appProtocol: grpc}]
                """.formatted(name, selector);
    }

    /** A plain (unmeshed) endpoint: the gRPC backend itself, no sidecar in front. */
    private static String workload(String name, String version, int port) {
        return """
                apiVersion: meshwork.io/v1alpha1
                kind: Workload
                metadata:
                  name: %s
                  labels: {app: reviews, version: %s}
                spec:
                  address: 127.0.0.1
                  ports: {grpc: %d}
                """.formatted(name, version, port);
    }

    private static String split(int v1Weight, int v2Weight) {
        return """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: reviews}
                spec:
                  service: reviews
                  backends:
                  - service: reviews-v1
                    weight: %d
                  - service: reviews-v2
                    weight: %d
                """.formatted(v1Weight, v2Weight);
    }

    /** The A/B route: calls carrying {@code x-canary: true} go to reviews-v2, whatever the default split says. */
    private static String canary() {
        return """
                apiVersion: specs.smi-spec.io/v1alpha4
                kind: HTTPRouteGroup
                metadata: {name: canary}
                spec:
                  matches:
                  - name: canary-header
                    headers:
                      x-canary: "true"
                ---
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: reviews-canary}
                spec:
                  service: reviews
                  matches:
                  - {kind: HTTPRouteGroup, name: canary}
                  backends:
                  - {service: reviews-v2, weight: 1}
                """;
    }
}
