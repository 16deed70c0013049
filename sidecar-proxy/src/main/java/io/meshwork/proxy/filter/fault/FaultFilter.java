package io.meshwork.proxy.filter.fault;

import io.meshwork.proxy.filter.FilterAction;
import io.meshwork.proxy.filter.FilterContext;
import io.meshwork.proxy.filter.LocalReply;
import io.meshwork.proxy.filter.RouteFilter;
import io.meshwork.proxy.route.Route;
import io.meshwork.proxy.route.Router;
import io.meshwork.proxy.route.VirtualHost;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code envoy.filters.http.fault}: by the route's {@code typed_per_filter_config} under the filter's {@code name}
 * (else the filter's own config), a request whose headers match is delayed for a share of requests and aborted for a
 * share, each drawn on its own; a delayed request that is also aborted is answered when its delay is over, as in
 * Envoy. An abort answers {@code fault filter abort} with the HTTP status, or a gRPC call with a trailers-only HTTP 200
 * carrying the {@code grpc-status} (the one given, else the one gRPC maps the HTTP status to). Injected faults are
 * counted as Envoy's {@code http.<stat_prefix>.fault.aborts_injected} and {@code delays_injected}, and by destination
 * service on 15090.
 */
public record FaultFilter(String name, String statPrefix, FaultConfig defaults) implements RouteFilter {

    static final String ABORT_BODY = "fault filter abort";
    private static final int MILLION = 1_000_000;

    @Override
    public FilterAction onRoute(HttpRequest request, VirtualHost host, Route route, FilterContext context) {
        FaultConfig config = route.filterConfig(name, FaultConfig.class);
        if (config == null) {
            config = defaults;
        }
        if (!config.aborts() && !config.delays()) {
            return FilterAction.CONTINUE;
        }
        List<io.meshwork.proxy.route.RouteMatch.HeaderMatch> headers = config.headers();
        for (int i = 0; i < headers.size(); i++) {
            if (!Router.headerMatches(headers.get(i), request.method().name(), request.headers())) {
                return FilterAction.CONTINUE;
            }
        }
        boolean delay = config.delays() && drawn(config.delayPerMillion());
        LocalReply abort = config.aborts() && drawn(config.abortPerMillion()) ? abort(request, config) : null;
        String service = service(host);
        if (delay) {
            context.metrics().faultInjected(statPrefix, service, false);
        }
        if (abort != null) {
            context.metrics().faultInjected(statPrefix, service, true);
        }
        if (delay) {
            return new FilterAction.Delay(config.delay(), abort);
        }
        return abort == null ? FilterAction.CONTINUE : new FilterAction.Reply(abort);
    }

    private static boolean drawn(int perMillion) {
        return perMillion >= MILLION || ThreadLocalRandom.current().nextInt(MILLION) < perMillion;
    }

    private static LocalReply abort(HttpRequest request, FaultConfig config) {
        if (LocalReply.isGrpc(request)) {
            int grpc = config.abortGrpcStatus() != null ? config.abortGrpcStatus()
                    : LocalReply.grpcStatusOf(config.abortHttpStatus());
            return LocalReply.grpc(grpc, ABORT_BODY, java.util.Map.of());
        }
        // A gRPC status for a request that is no gRPC call: 503, the status gRPC's UNAVAILABLE maps from.
        int status = config.abortHttpStatus() != null ? config.abortHttpStatus() : 503;
        return new LocalReply(HttpResponseStatus.valueOf(status), ABORT_BODY);
    }

    /** The virtual host's service, without its port ({@code pay.default.svc.cluster.local:8080} names pay's). */
    private static String service(VirtualHost host) {
        String name = host.name();
        int colon = name.lastIndexOf(':');
        return colon > 0 ? name.substring(0, colon) : name;
    }
}
