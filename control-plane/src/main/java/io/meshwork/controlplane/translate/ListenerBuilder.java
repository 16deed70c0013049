package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.Workload;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds Listeners. A sidecar gets {@code outbound} (15001: tcp_proxy per TCP service port, else HTTP
 * with RDS) and, when its workload is meshed, {@code inbound|<port>} per port plus {@code inbound}
 * (15006) for captured traffic. A proxyless gRPC client gets api_listeners named after service ports
 * and, when it is a proxyless gRPC server's process, that workload's server Listeners.
 */
public final class ListenerBuilder {

    private static final String ANY_ADDRESS = "0.0.0.0";

    private final MeshSnapshot snapshot;
    private final ProxyNode proxy;

    public ListenerBuilder(MeshSnapshot snapshot, ProxyNode proxy) {
        this.snapshot = snapshot;
        this.proxy = proxy;
    }

    public List<Listener> build() {
        if (!proxy.isSidecar()) {
            List<Listener> listeners = new ArrayList<>(apiListeners());
            listeners.addAll(proxylessServer());
            return List.copyOf(listeners);
        }
        List<Listener> listeners = new ArrayList<>();
        listeners.add(outbound(snapshot));
        listeners.addAll(inbound());
        return List.copyOf(listeners);
    }

    /** The outbound listener: the same for every sidecar of the snapshot. */
    static Listener outbound(MeshSnapshot snapshot) {
        Listener.Builder listener = Listener.newBuilder()
                .setName(ResourceNames.OUTBOUND)
                .setAddress(EnvoyProtos.socketAddress(ANY_ADDRESS, ResourceNames.OUTBOUND_PORT))
                .setTrafficDirection(TrafficDirection.OUTBOUND);
        // Without service VIPs the destination port is all that tells TCP services apart: the first
        // service (in ref order) to claim a port keeps it.
        Map<Integer, String> tcpClusters = new LinkedHashMap<>();
        for (MeshService service : snapshot.services().values()) {
            for (ServicePort port : service.ports()) {
                if (!port.protocol().isHttp()) {
                    tcpClusters.putIfAbsent(port.port(), ResourceNames.outboundCluster(service.ref(), port.port()));
                }
            }
        }
        tcpClusters.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> listener.addFilterChains(
                FilterChain.newBuilder()
                        .setName(entry.getValue())
                        .setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(EnvoyProtos.uint32(entry.getKey())))
                        .addFilters(EnvoyProtos.tcpProxy(entry.getValue(), entry.getValue()))));
        listener.addFilterChains(FilterChain.newBuilder()
                .setName(ResourceNames.OUTBOUND)
                .addFilters(EnvoyProtos.networkFilter(ResiliencePolicies.withFaultFilter(
                        EnvoyProtos.rdsConnectionManager(ResourceNames.OUTBOUND, ResourceNames.OUTBOUND),
                        snapshot.policies()))));
        return DownstreamLimits.apply(listener.build());
    }

    /** The inbound listeners of this sidecar's meshed workload; none for others. */
    List<Listener> inbound() {
        List<InboundPort> ports = InboundPort.of(snapshot, proxy);
        if (ports.isEmpty()) {
            return List.of();
        }
        Workload workload = snapshot.workloads().get(proxy.workload().orElseThrow());
        List<Listener> listeners = new ArrayList<>();
        Listener.Builder captured = Listener.newBuilder()
                .setName(ResourceNames.INBOUND)
                .setAddress(EnvoyProtos.socketAddress(ANY_ADDRESS, ResourceNames.INBOUND_PORT))
                .setTrafficDirection(TrafficDirection.INBOUND);
        boolean mtls = snapshot.trust().enabled();
        if (mtls) {
            captured.addListenerFilters(MutualTls.tlsInspector());
        }
        for (InboundPort port : ports) {
            String name = ResourceNames.inboundListener(port.port());
            List<Filter> filters = inboundFilters(port, workload);
            Listener.Builder own = Listener.newBuilder()
                    .setName(name)
                    .setAddress(EnvoyProtos.socketAddress(workload.address(), port.port()))
                    .setTrafficDirection(TrafficDirection.INBOUND);
            if (mtls) {
                own.addListenerFilters(MutualTls.tlsInspector());
            }
            for (FilterChain chain : inboundChains(name, filters, port, workload)) {
                own.addFilterChains(chain);
                captured.addFilterChains(chain.toBuilder().setFilterChainMatch(chain.getFilterChainMatch().toBuilder()
                        .setDestinationPort(EnvoyProtos.uint32(port.port()))));
            }
            listeners.add(own.build());
        }
        listeners.add(captured.build());
        return listeners.stream().map(DownstreamLimits::apply).toList();
    }

    /**
     * The filter chains of one inbound port. Without a CA, one plaintext chain. With one, by the port's
     * PeerAuthentication mode: STRICT a TLS chain only (a plaintext connection matches nothing and is
     * closed), PERMISSIVE a TLS and a plaintext chain told apart by the TLS inspector, DISABLE plaintext.
     */
    private List<FilterChain> inboundChains(String name, List<Filter> filters, InboundPort port, Workload workload) {
        FilterChain plaintext = FilterChain.newBuilder().setName(name).addAllFilters(filters).build();
        if (!snapshot.trust().enabled()) {
            return List.of(plaintext);
        }
        PeerAuthentication.Mode mode = snapshot.mtlsModeOf(workload, port.port());
        FilterChain tls = FilterChain.newBuilder()
                .setName(name + "|mtls")
                .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol(MutualTls.TLS_TRANSPORT_PROTOCOL))
                .setTransportSocket(MutualTls.downstream(port.protocol().isHttp()))
                .addAllFilters(filters)
                .build();
        FilterChain raw = plaintext.toBuilder()
                .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol(MutualTls.RAW_TRANSPORT_PROTOCOL))
                .build();
        return switch (mode) {
            case STRICT -> List.of(tls);
            case DISABLE -> List.of(plaintext);
            case PERMISSIVE, UNSET -> List.of(tls, raw);
        };
    }

    /**
     * The network filters of an inbound port: the HTTP connection manager (with the RBAC filter of the
     * workload's TrafficTargets before the router, when it has any) or tcp_proxy (after network RBAC).
     */
    private List<Filter> inboundFilters(InboundPort port, Workload workload) {
        String name = ResourceNames.inboundListener(port.port());
        if (port.protocol().isHttp()) {
            return List.of(EnvoyProtos.networkFilter(withAuthorization(ResiliencePolicies.withRateLimit(
                    EnvoyProtos.inlineConnectionManager(name, RouteBuilder.inbound(port)),
                    InboundPort.rateLimit(snapshot, workload, port.port()), name), workload, port.port())));
        }
        var rules = Authorization.rules(snapshot, workload, port.port(), false);
        Filter tcp = EnvoyProtos.tcpProxy(name, ResourceNames.inboundCluster(port.appPort()));
        return rules.map(r -> List.of(Authorization.networkFilter(name, r), tcp)).orElse(List.of(tcp));
    }

    /**
     * The Listeners of the proxy's workload when it is a proxyless gRPC server, one per port, in the form
     * grpc-java's XdsServerBuilder takes (gRFC A36): named from {@link ResourceNames#PROXYLESS_SERVER_LISTENER_TEMPLATE}
     * with the address the server listens on, which grpc-java 1.85 gives as {@code 0.0.0.0:<port>} whatever
     * it binds (so that form, and the workload's own address for servers that name it); no listener filters;
     * one chain holding only an HttpConnectionManager whose routes serve calls in place (RBAC of the
     * workload's TrafficTargets before the router). On a STRICT port the chain requires a mesh client
     * certificate; else it is plaintext. None for other proxies.
     */
    List<Listener> proxylessServer() {
        Workload workload = proxy.isSidecar() ? null : proxy.workload().map(snapshot.workloads()::get).orElse(null);
        if (workload == null || !workload.proxyless()) {
            return List.of();
        }
        List<Listener> listeners = new ArrayList<>();
        workload.ports().values().stream().sorted().distinct().forEach(port -> {
            String name = ResourceNames.inboundListener(port);
            FilterChain.Builder chain = FilterChain.newBuilder().setName(name)
                    .addFilters(EnvoyProtos.networkFilter(withAuthorization(
                            EnvoyProtos.inlineConnectionManager(name, RouteBuilder.proxylessServer(port)), workload, port)));
            if (MutualTls.servesMutualTls(snapshot, workload, port)) {
                chain.setName(name + "|mtls").setTransportSocket(MutualTls.proxylessDownstream());
            }
            for (String address : List.of(ANY_ADDRESS, workload.address())) {
                listeners.add(Listener.newBuilder()
                        .setName(ResourceNames.proxylessServerListener(address, port))
                        .setAddress(EnvoyProtos.socketAddress(address, port))
                        .setTrafficDirection(TrafficDirection.INBOUND)
                        .addFilterChains(chain)
                        .build());
            }
        });
        return listeners;
    }

    /** {@code manager} with the RBAC filter of the workload's TrafficTargets on {@code port} first, when it has any. */
    private HttpConnectionManager withAuthorization(HttpConnectionManager manager, Workload workload, int port) {
        return Authorization.rules(snapshot, workload, port, true)
                .map(rules -> manager.toBuilder().addHttpFilters(0, Authorization.httpFilter(rules)).build())
                .orElse(manager);
    }

    /** Listener {@code NAME} answers a gRPC channel to {@code xds:///NAME}; each routes through RDS of its port. */
    List<Listener> apiListeners() {
        List<Listener> listeners = new ArrayList<>();
        for (MeshService service : snapshot.services().values()) {
            for (ServicePort port : service.ports()) {
                String routeConfig = ResourceNames.serviceHostPort(service.ref(), port.port());
                for (String name : ResourceNames.apiListeners(service.ref(), port.port(), proxy.namespace())) {
                    listeners.add(Listener.newBuilder()
                            .setName(name)
                            .setApiListener(ApiListener.newBuilder().setApiListener(
                                    Any.pack(ResiliencePolicies.withFaultFilter(
                                            EnvoyProtos.rdsConnectionManager(name, routeConfig), snapshot.policies()))))
                            .build());
                }
            }
        }
        return List.copyOf(listeners);
    }
}
