package io.meshwork.proxy.testing;

import io.meshwork.proxy.SidecarProxy;
import io.meshwork.proxy.xds.NodeIdentity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A sidecar in-process on loopback, fed by an xDS server, and an HTTP client using it as proxy. */
public final class SidecarHarness implements AutoCloseable {

    public static final String WORKLOAD = "productpage";
    public static final String NAMESPACE = "default";

    public final SidecarProxy sidecar;
    public final HttpClient client;

    public SidecarHarness(TestControlPlane controlPlane) throws InterruptedException {
        this(controlPlane.target());
    }

    /** A sidecar of workload {@value #WORKLOAD} talking ADS to {@code xdsTarget} ({@code host:port}). */
    public SidecarHarness(String xdsTarget) throws InterruptedException {
        this(xdsTarget, NAMESPACE);
    }

    /** A sidecar of workload {@value #WORKLOAD} of {@code namespace} talking ADS to {@code xdsTarget}. */
    public SidecarHarness(String xdsTarget, String namespace) throws InterruptedException {
        this.sidecar = new SidecarProxy(new SidecarProxy.Options(xdsTarget,
                new NodeIdentity(WORKLOAD, namespace, "bookinfo-productpage", "test"), "127.0.0.1", 0, 0, 0, 0, 0,
                Duration.ofSeconds(2), 1)).start();
        Eventually.await(Duration.ofSeconds(15), "the sidecar's first complete config and outbound listener",
                () -> sidecar.configStore().hasCompleteConfig() && sidecar.listenerPort("outbound") > 0);
        this.client = HttpClient.newBuilder()
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", sidecar.listenerPort("outbound"))))
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A sidecar of workload {@value #WORKLOAD} configured with {@code mesh} by {@code controlPlane}. */
    public static SidecarHarness serving(TestControlPlane controlPlane, MeshResources mesh) throws InterruptedException {
        controlPlane.setSnapshot(WORKLOAD, NAMESPACE, mesh.snapshot("1"));
        return new SidecarHarness(controlPlane);
    }

    public int outboundPort() {
        return sidecar.listenerPort("outbound");
    }

    /** GET through the sidecar as an HTTP proxy (absolute-form request). */
    public HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        sidecar.drainAndStop();
    }
}
