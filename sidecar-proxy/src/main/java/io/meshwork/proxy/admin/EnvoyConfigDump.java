package io.meshwork.proxy.admin;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.SecretsConfigDump;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.meshwork.certs.Pem;
import io.meshwork.proxy.identity.WorkloadCertificate;
import io.meshwork.proxy.xds.ProxyConfig;
import io.meshwork.proxy.xds.ResourceType;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/**
 * {@code /config_dump} in Envoy's own format ({@code envoy.admin.v3.ConfigDump}): the xDS resources this sidecar
 * accepted, exactly as they came, with their versions, so that what {@code istioctl proxy-config -o json} users read
 * and what Envoy tooling parses works here too. Its own certificate is the SDS secret {@code default}, as Envoy shows
 * it, with the private key redacted.
 */
public final class EnvoyConfigDump {

    /** Every type the dump can carry inside an {@code Any}: the dumps, the resources, and their typed configs. */
    private static final JsonFormat.TypeRegistry TYPES = registry(List.of(
            ConfigDump.getDescriptor(),
            io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor(),
            io.envoyproxy.envoy.config.cluster.v3.Cluster.getDescriptor(),
            io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDescriptor(),
            io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDescriptor(),
            Secret.getDescriptor(),
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor(),
            io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor(),
            io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor(),
            io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDescriptor()));

    private EnvoyConfigDump() {
    }

    /** The types a dump's {@code Any}s can hold, for reading one back with {@code JsonFormat.parser()}. */
    public static JsonFormat.TypeRegistry types() {
        return TYPES;
    }

    /** The dump of {@code config}; {@code own} is this sidecar's certificate, or null without one. */
    public static String json(ProxyConfig config, WorkloadCertificate own) {
        ConfigDump.Builder dump = ConfigDump.newBuilder();
        Map<ResourceType, Map<String, Any>> resources = config.resources();

        ListenersConfigDump.Builder listeners = ListenersConfigDump.newBuilder()
                .setVersionInfo(version(config, ResourceType.LISTENER));
        of(resources, ResourceType.LISTENER).forEach((name, listener) -> listeners.addDynamicListeners(
                ListenersConfigDump.DynamicListener.newBuilder().setName(name).setActiveState(
                        ListenersConfigDump.DynamicListenerState.newBuilder()
                                .setVersionInfo(version(config, ResourceType.LISTENER)).setListener(listener))));
        dump.addConfigs(Any.pack(listeners.build()));

        ClustersConfigDump.Builder clusters = ClustersConfigDump.newBuilder()
                .setVersionInfo(version(config, ResourceType.CLUSTER));
        of(resources, ResourceType.CLUSTER).forEach((name, cluster) -> clusters.addDynamicActiveClusters(
                ClustersConfigDump.DynamicCluster.newBuilder().setVersionInfo(version(config, ResourceType.CLUSTER))
                        .setCluster(cluster)));
        dump.addConfigs(Any.pack(clusters.build()));

        RoutesConfigDump.Builder routes = RoutesConfigDump.newBuilder();
        of(resources, ResourceType.ROUTE).forEach((name, route) -> routes.addDynamicRouteConfigs(
                RoutesConfigDump.DynamicRouteConfig.newBuilder().setVersionInfo(version(config, ResourceType.ROUTE))
                        .setRouteConfig(route)));
        dump.addConfigs(Any.pack(routes.build()));

        EndpointsConfigDump.Builder endpoints = EndpointsConfigDump.newBuilder();
        of(resources, ResourceType.ENDPOINT).forEach((name, assignment) -> endpoints.addDynamicEndpointConfigs(
                EndpointsConfigDump.DynamicEndpointConfig.newBuilder().setVersionInfo(version(config, ResourceType.ENDPOINT))
                        .setEndpointConfig(assignment)));
        dump.addConfigs(Any.pack(endpoints.build()));

        SecretsConfigDump.Builder secrets = SecretsConfigDump.newBuilder();
        if (own != null) {
            secrets.addDynamicActiveSecrets(ownCertificate(own));
        }
        of(resources, ResourceType.SECRET).forEach((name, secret) -> secrets.addDynamicActiveSecrets(
                SecretsConfigDump.DynamicSecret.newBuilder().setName(name).setVersionInfo(version(config, ResourceType.SECRET))
                        .setSecret(redacted(secret))));
        dump.addConfigs(Any.pack(secrets.build()));

        try {
            return JsonFormat.printer().usingTypeRegistry(TYPES).preservingProtoFieldNames().print(dump);
        } catch (InvalidProtocolBufferException e) {
            // A typed config of a type this sidecar does not know cannot be printed: say which, rather than fail blank.
            return Json.write(Map.of("error", "cannot print the config dump: " + e.getMessage()));
        }
    }

    /** A secret as Envoy shows it: a gateway certificate's key (the only key xDS carries) redacted. */
    private static Any redacted(Any secret) {
        try {
            Secret unpacked = secret.unpack(Secret.class);
            return !unpacked.hasTlsCertificate() ? secret : Any.pack(unpacked.toBuilder().setTlsCertificate(
                    unpacked.getTlsCertificate().toBuilder().setPrivateKey(DataSource.newBuilder()
                            .setInlineString("[redacted]"))).build());
        } catch (InvalidProtocolBufferException e) {
            return secret; // accepted, so it decoded once; cannot happen
        }
    }

    /** The sidecar's own certificate as Envoy shows an SDS secret: the chain, the key redacted. */
    private static SecretsConfigDump.DynamicSecret ownCertificate(WorkloadCertificate own) {
        StringBuilder chain = new StringBuilder();
        for (X509Certificate certificate : own.chain()) {
            chain.append(Pem.write(certificate));
        }
        X509Certificate leaf = own.leaf();
        Secret secret = Secret.newBuilder().setName("default").setTlsCertificate(TlsCertificate.newBuilder()
                .setCertificateChain(DataSource.newBuilder()
                        .setInlineBytes(ByteString.copyFrom(chain.toString(), StandardCharsets.US_ASCII)))
                .setPrivateKey(DataSource.newBuilder().setInlineString("[redacted]"))).build();
        return SecretsConfigDump.DynamicSecret.newBuilder().setName("default")
                .setVersionInfo(leaf.getSerialNumber().toString(16))
                .setLastUpdated(Timestamp.newBuilder().setSeconds(leaf.getNotBefore().toInstant().getEpochSecond()))
                .setSecret(Any.pack(secret)).build();
    }

    private static Map<String, Any> of(Map<ResourceType, Map<String, Any>> resources, ResourceType type) {
        return resources.getOrDefault(type, Map.of());
    }

    private static String version(ProxyConfig config, ResourceType type) {
        return config.versions().getOrDefault(type.typeUrl(), "");
    }

    private static JsonFormat.TypeRegistry registry(List<Descriptor> descriptors) {
        JsonFormat.TypeRegistry.Builder registry = JsonFormat.TypeRegistry.newBuilder();
        // add(Descriptor) takes every type of that descriptor's file and of the files it imports.
        descriptors.forEach(registry::add);
        return registry.build();
    }
}
