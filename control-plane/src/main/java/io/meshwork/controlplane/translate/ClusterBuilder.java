package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.KeepaliveSettings;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServicePort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the Clusters of one proxy: an EDS cluster per service port in the mesh (with a sidecar's or a
 * proxyless client's mutual TLS) and, for a meshed sidecar, a STATIC loopback cluster per application port.
 */
public final class ClusterBuilder {

    static final long UPSTREAM_IDLE_TIMEOUT_SECONDS = 3600;
    static final long KEEPALIVE_INTERVAL_SECONDS = 300;
    static final long KEEPALIVE_TIMEOUT_SECONDS = 20;

    private final MeshSnapshot snapshot;
    private final ProxyNode proxy;

    public ClusterBuilder(MeshSnapshot snapshot, ProxyNode proxy) {
        this.snapshot = snapshot;
        this.proxy = proxy;
    }

    public List<Cluster> build() {
        List<Cluster> clusters = new ArrayList<>(proxy.isSidecar() ? outbound(snapshot) : proxyless(snapshot));
        clusters.addAll(inbound());
        return List.copyOf(clusters);
    }

    /** The EDS cluster of every service port with a sidecar's auto mTLS: the same for every sidecar of the snapshot. */
    static List<Cluster> outbound(MeshSnapshot snapshot) {
        return outbound(snapshot, false);
    }

    /**
     * The same clusters for proxyless gRPC clients, the same for all of them. grpc-java refuses
     * {@code transport_socket_matches}, so there is no per-endpoint choice: a cluster whose endpoints all
     * answer mutual TLS gets a plain {@code transport_socket} with the bootstrap's certificate provider;
     * one with any endpoint that does not (unmeshed, DISABLE, or a proxyless server not STRICT) stays plaintext.
     */
    static List<Cluster> proxyless(MeshSnapshot snapshot) {
        return outbound(snapshot, true);
    }

    private static List<Cluster> outbound(MeshSnapshot snapshot, boolean proxyless) {
        List<Cluster> clusters = new ArrayList<>();
        for (MeshService service : snapshot.services().values()) {
            List<String> peers = snapshot.trust().enabled() ? peerIdentities(snapshot, service) : List.of();
            for (ServicePort port : service.ports()) {
                Cluster.Builder cluster = ResiliencePolicies.cluster(outbound(service, port), snapshot.policies(),
                        service.ref(), port);
                if (proxyless) {
                    ResiliencePolicies.proxylessCluster(cluster, snapshot.policies(), service.ref(), port);
                }
                String sni = "outbound_." + port.port() + "_._." + service.ref().serviceFqdn();
                if (!snapshot.trust().enabled()) {
                    clusters.add(cluster.build());
                    continue;
                }
                if (!proxyless) {
                    MutualTls.autoMtls(cluster, sni, peers, port.protocol().isHttp2());
                } else if (allServeMutualTls(snapshot, service, port)) {
                    cluster.setTransportSocket(MutualTls.proxylessUpstream(sni, peers));
                }
                clusters.add(cluster.build());
            }
        }
        return List.copyOf(clusters);
    }

    private static boolean allServeMutualTls(MeshSnapshot snapshot, MeshService service, ServicePort port) {
        var endpoints = snapshot.endpointsOf(service.ref()).stream()
                .filter(endpoint -> endpoint.servicePort() == port.port()).toList();
        return !endpoints.isEmpty() && endpoints.stream()
                .allMatch(endpoint -> MutualTls.servesMutualTls(snapshot, endpoint.workload(), endpoint.port()));
    }

    /** The SPIFFE IDs of the service accounts of the workloads with a mesh identity behind {@code service}: who may answer for it. */
    private static List<String> peerIdentities(MeshSnapshot snapshot, MeshService service) {
        return snapshot.endpointsOf(service.ref()).stream()
                .map(endpoint -> endpoint.workload())
                .filter(workload -> workload.hasMeshIdentity())
                .map(workload -> snapshot.trust().spiffeId(workload.ref().namespace(), workload.serviceAccount()))
                .distinct().sorted().toList();
    }

    /** The loopback clusters of this proxy's meshed workload; none for other proxies. */
    List<Cluster> inbound() {
        List<InboundPort> inboundPorts = InboundPort.of(snapshot, proxy);
        return inboundPorts.stream()
                .map(InboundPort::appPort).distinct()
                .map(appPort -> inbound(appPort, inboundPorts))
                .toList();
    }

    private static Cluster.Builder outbound(MeshService service, ServicePort port) {
        String name = ResourceNames.outboundCluster(service.ref(), port.port());
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("service", service.ref().name());
        metadata.put("namespace", service.ref().namespace());
        metadata.put("port", port.port());
        metadata.put("protocol", port.protocol().wireName());
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(EnvoyProtos.ads())
                        .setServiceName(name))
                .setConnectTimeout(EnvoyProtos.seconds(1))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setMetadata(EnvoyProtos.meshMetadata(metadata));
        return withProtocol(cluster, port.protocol());
    }

    private static Cluster inbound(int appPort, List<InboundPort> ports) {
        String name = ResourceNames.inboundCluster(appPort);
        boolean http2 = ports.stream().anyMatch(p -> p.appPort() == appPort && p.protocol().isHttp2());
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(EnvoyProtos.seconds(1))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder()
                                .setLoadBalancingWeight(EnvoyProtos.uint32(1))
                                .addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder()
                                        .setAddress(EnvoyProtos.socketAddress("127.0.0.1", appPort))))));
        return withProtocol(cluster, http2 ? Protocol.HTTP2 : Protocol.HTTP).build();
    }

    /**
     * HTTP/2 upstream for http2 and grpc ports, so a gRPC call is not downgraded to HTTP/1.1, with HTTP/2
     * keepalive pings (a dead or blackholed connection found within {@value #KEEPALIVE_INTERVAL_SECONDS} s
     * of silence plus {@value #KEEPALIVE_TIMEOUT_SECONDS} s; five minutes, so that grpc-java servers, which
     * allow a ping every five minutes, never answer too_many_pings); HTTP ports keep HTTP/1.1. Both close
     * pooled connections idle for an hour ({@code common_http_protocol_options.idle_timeout}, Envoy's default).
     */
    private static Cluster.Builder withProtocol(Cluster.Builder cluster, Protocol protocol) {
        if (!protocol.isHttp()) {
            return cluster;
        }
        HttpProtocolOptions.ExplicitHttpConfig.Builder explicit = HttpProtocolOptions.ExplicitHttpConfig.newBuilder();
        if (protocol.isHttp2()) {
            explicit.setHttp2ProtocolOptions(Http2ProtocolOptions.newBuilder()
                    .setConnectionKeepalive(KeepaliveSettings.newBuilder()
                            .setInterval(EnvoyProtos.seconds(KEEPALIVE_INTERVAL_SECONDS))
                            .setTimeout(EnvoyProtos.seconds(KEEPALIVE_TIMEOUT_SECONDS))));
        } else {
            explicit.setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance());
        }
        HttpProtocolOptions options = HttpProtocolOptions.newBuilder()
                .setCommonHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                        .setIdleTimeout(EnvoyProtos.seconds(UPSTREAM_IDLE_TIMEOUT_SECONDS)))
                .setExplicitHttpConfig(explicit)
                .build();
        cluster.putTypedExtensionProtocolOptions(ResourceNames.HTTP_PROTOCOL_OPTIONS, Any.pack(options));
        return cluster;
    }
}
