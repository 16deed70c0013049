package io.meshwork.controlplane.translate;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.meshwork.controlplane.model.Gateway;
import io.meshwork.controlplane.model.GatewayAttachment;
import io.meshwork.controlplane.model.HttpRoute;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.TlsSecret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Listeners, RouteConfigurations and certificate Secrets of a gateway proxy ({@code mesh gateway}) serving one
 * Gateway of Meshwork's class; nothing for a Gateway that is not (yet) there or is another implementation's. A Listener
 * {@code 0.0.0.0_<port>} per port that served Gateway listeners use, whose chains route through RDS
 * {@code http.<port>}: HTTP, one chain; HTTPS, the TLS inspector and one chain per Gateway listener, matched on
 * {@code server_names} (its hostname; none: any name, the chain for names no other takes), terminating TLS with that
 * listener's certificate over SDS ({@code <namespace>/<secret>}, served to this gateway only). A listener whose
 * certificate cannot be served is left out. The routes: one virtual host per host name the attached HTTPRoutes
 * serve ({@link GatewayAttachment}), with their rules as {@link GammaRoutes} builds them for Services.
 */
final class GatewayBuilder {

    private static final String ANY_ADDRESS = "0.0.0.0";

    private final MeshSnapshot snapshot;
    /** The served listeners by port, in port order; empty when the Gateway is not served. */
    private final Map<Integer, List<Gateway.Listener>> byPort = new TreeMap<>();
    private final Gateway gateway;

    GatewayBuilder(MeshSnapshot snapshot, ObjectRef gatewayRef) {
        this.snapshot = snapshot;
        this.gateway = snapshot.gateways().served(gatewayRef).orElse(null);
        if (gateway != null) {
            for (Gateway.Listener listener : gateway.listeners()) {
                if (snapshot.gateways().servable(gateway, listener)) {
                    byPort.computeIfAbsent(listener.port(), p -> new ArrayList<>()).add(listener);
                }
            }
        }
    }

    List<Listener> listeners() {
        List<Listener> listeners = new ArrayList<>();
        byPort.forEach((port, served) -> {
            String routes = ResourceNames.gatewayRoutes(port);
            Listener.Builder listener = Listener.newBuilder()
                    .setName(ResourceNames.gatewayListener(port))
                    .setAddress(EnvoyProtos.socketAddress(ANY_ADDRESS, port))
                    .setTrafficDirection(TrafficDirection.OUTBOUND);
            if (served.get(0).protocol() == Gateway.Protocol.HTTP) {
                listener.addFilterChains(FilterChain.newBuilder().setName(routes)
                        .addFilters(EnvoyProtos.networkFilter(EnvoyProtos.rdsConnectionManager(routes, routes))));
            } else {
                listener.addListenerFilters(MutualTls.tlsInspector());
                for (Gateway.Listener https : served) {
                    FilterChain.Builder chain = FilterChain.newBuilder().setName(https.name())
                            .setTransportSocket(terminate(https.certificates()))
                            .addFilters(EnvoyProtos.networkFilter(EnvoyProtos.rdsConnectionManager(routes, routes)));
                    if (https.hostname() != null) {
                        chain.setFilterChainMatch(FilterChainMatch.newBuilder().addServerNames(https.hostname()));
                    }
                    listener.addFilterChains(chain);
                }
            }
            listeners.add(DownstreamLimits.apply(listener.build()));
        });
        return listeners;
    }

    List<RouteConfiguration> routes() {
        List<RouteConfiguration> configs = new ArrayList<>();
        GammaRoutes gammaRoutes = new GammaRoutes(snapshot, false);
        List<HttpRoute> routes = new ArrayList<>(snapshot.httpRoutes().values());
        routes.addAll(snapshot.grpcRoutes().values());
        byPort.forEach((port, served) -> {
            Map<String, Set<HttpRoute>> byHostname = new LinkedHashMap<>();
            for (Gateway.Listener listener : served) {
                for (GatewayAttachment.Attached attached : GatewayAttachment.routes(gateway, listener, routes)) {
                    attached.hostnames().forEach(hostname ->
                            byHostname.computeIfAbsent(hostname, h -> new LinkedHashSet<>()).add(attached.route()));
                }
            }
            RouteConfiguration.Builder config = RouteConfiguration.newBuilder().setName(ResourceNames.gatewayRoutes(port));
            byHostname.forEach((hostname, attached) -> {
                VirtualHost.Builder host = VirtualHost.newBuilder().setName(hostname + ":" + port).addDomains(hostname);
                if (!hostname.equals(GatewayAttachment.ANY)) {
                    host.addDomains(hostname + ":" + port);
                }
                config.addVirtualHosts(host.addAllRoutes(gammaRoutes.gatewayRoutes(List.copyOf(attached), port)));
            });
            configs.add(config.build());
        });
        return configs;
    }

    /** The SDS Secrets of the served listeners' certificates: chain and key, inline. */
    List<Secret> certificates() {
        Set<ObjectRef> names = new LinkedHashSet<>();
        byPort.values().forEach(listeners -> listeners.forEach(l -> names.addAll(l.certificates())));
        List<Secret> secrets = new ArrayList<>();
        for (ObjectRef name : names) {
            TlsSecret secret = snapshot.gateways().secrets().get(name);
            secrets.add(Secret.newBuilder().setName(ResourceNames.gatewayCertificate(name))
                    .setTlsCertificate(TlsCertificate.newBuilder()
                            .setCertificateChain(inline(secret.certificateChain()))
                            .setPrivateKey(inline(secret.privateKey())))
                    .build());
        }
        return secrets;
    }

    /** TLS 1.2 or 1.3 with the listener's certificates from SDS over ADS, offering HTTP/2 and HTTP/1.1; no client certificate. */
    private static TransportSocket terminate(List<ObjectRef> certificates) {
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
                .setTlsParams(TlsParameters.newBuilder()
                        .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
                        .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
                .addAllAlpnProtocols(List.of("h2", "http/1.1"));
        certificates.forEach(c -> common.addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder()
                .setName(ResourceNames.gatewayCertificate(c)).setSdsConfig(EnvoyProtos.ads())));
        return TransportSocket.newBuilder().setName(MutualTls.TLS_TRANSPORT_SOCKET)
                .setTypedConfig(Any.pack(DownstreamTlsContext.newBuilder().setCommonTlsContext(common).build())).build();
    }

    private static DataSource inline(String pem) {
        return DataSource.newBuilder().setInlineBytes(ByteString.copyFrom(pem, StandardCharsets.US_ASCII)).build();
    }
}
