package io.meshwork.proxy.route.mirror;

import io.meshwork.proxy.cluster.ClusterManager;
import io.meshwork.proxy.cluster.LoadBalancer;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.meshwork.proxy.http.ProxyServices;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.RouteFilters;
import io.meshwork.proxy.route.Router;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The shadows of one request on a route with {@code request_mirror_policies}: each policy's share of requests is
 * copied to its cluster (an endpoint picked by the cluster's balancer), with {@code -shadow} appended to the Host's
 * name as Envoy does ({@code reviews:9080} → {@code reviews-shadow:9080}), so a backend can tell shadows apart.
 * The client's exchange feeds them its body and goes on; they live and end on their own ({@link ShadowRequest}).
 */
public final class RequestMirrors {

    /** A shadow without a route timeout (gRPC ports) is cut after this long. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
    private static final CharSequence SCHEME = HttpConversionUtil.ExtensionHeaderNames.SCHEME.text();

    private final List<ShadowRequest> shadows;

    private RequestMirrors(List<ShadowRequest> shadows) {
        this.shadows = shadows;
    }

    /**
     * Starts the shadows of {@code request} (its head as it goes upstream) on {@code route}; null when the route
     * mirrors nothing or no policy picked this request. {@code bodyless}: the request has no body to come.
     */
    public static RequestMirrors start(Route route, HttpRequest request, boolean bodyless, EventLoop loop,
                                       ProxyServices services) {
        List<RouteFilters.MirrorPolicy> policies = route.filters().mirrors();
        if (policies.isEmpty()) {
            return null;
        }
        List<ShadowRequest> shadows = new ArrayList<>();
        ClusterManager.View view = services.clusters().view();
        for (RouteFilters.MirrorPolicy policy : policies) {
            if (ThreadLocalRandom.current().nextInt(1_000_000) >= policy.perMillion()) {
                continue;
            }
            LoadBalancer balancer = view.balancers().get(policy.cluster());
            EndpointConfig endpoint = balancer == null ? null : balancer.pick();
            if (endpoint == null) {
                services.metrics().mirrored(balancer == null ? policy.cluster() : balancer.cluster().service(), 0);
                continue;
            }
            // The mirror cluster's max_connections bounds its shadows' connections too, as Envoy's shadows.
            shadows.add(new ShadowRequest(services.pools().pool(loop, balancer.cluster(), endpoint),
                    services.clusters().resources(balancer.cluster()),
                    shadowHead(request, balancer.cluster().http2()), bodyless, loop,
                    route.timeout().isZero() ? DEFAULT_TIMEOUT : route.timeout(), services.metrics(),
                    balancer.cluster().service()));
        }
        return shadows.isEmpty() ? null : new RequestMirrors(shadows);
    }

    private static HttpRequest shadowHead(HttpRequest request, boolean http2) {
        HttpRequest head = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers().copy());
        String host = head.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            String name = Router.stripPort(host);
            head.headers().set(HttpHeaderNames.HOST, name + "-shadow" + host.substring(name.length()));
        }
        if (http2) {
            head.headers().set(SCHEME, "http");
        } else {
            head.headers().remove(SCHEME);
        }
        return head;
    }

    /** A part of the client's request body: each shadow sends a view of it. */
    public void body(HttpContent part) {
        for (int i = 0; i < shadows.size(); i++) {
            shadows.get(i).body(part);
        }
    }
}
