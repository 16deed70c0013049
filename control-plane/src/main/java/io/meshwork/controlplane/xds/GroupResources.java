package io.meshwork.controlplane.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Envoy resources one proxy group should have, with a version per resource type so that an
 * unchanged type is not re-sent.
 */
public record GroupResources(
        List<Cluster> clusters,
        List<ClusterLoadAssignment> endpoints,
        List<Listener> listeners,
        List<RouteConfiguration> routes,
        List<Secret> secrets,
        TypeVersions versions) {

    public GroupResources {
        clusters = List.copyOf(clusters);
        endpoints = List.copyOf(endpoints);
        listeners = List.copyOf(listeners);
        routes = List.copyOf(routes);
        secrets = List.copyOf(secrets);
    }

    /** Builds a group whose per-type versions are content hashes of the resources, as the xDS contract asks. */
    public static GroupResources hashed(List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                                        List<Listener> listeners, List<RouteConfiguration> routes) {
        return new GroupResources(clusters, endpoints, listeners, routes, List.of(),
                new TypeVersions(hash(clusters), hash(endpoints), hash(listeners), hash(routes), hash(List.of())));
    }

    /** A short hex SHA-256 over the deterministic serialization of {@code resources}, in order. */
    public static String hash(List<? extends Message> resources) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Message resource : resources) {
                // Deterministic serialization: map fields (Struct metadata) could otherwise hash differently run to run.
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(resource.getSerializedSize());
                CodedOutputStream coded = CodedOutputStream.newInstance(bytes);
                coded.useDeterministicSerialization();
                resource.writeTo(coded);
                coded.flush();
                digest.update(bytes.toByteArray());
                digest.update((byte) 0);
            }
            digest.update(Integer.toString(resources.size()).getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException("cannot hash xDS resources", e);
        }
    }

    /** One version string per xDS resource type. */
    public record TypeVersions(String clusters, String endpoints, String listeners, String routes, String secrets) {
    }
}
