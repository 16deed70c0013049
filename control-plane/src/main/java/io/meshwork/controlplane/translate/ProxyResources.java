package io.meshwork.controlplane.translate;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Envoy resources of one proxy group, with a version per type that is a hash of that type's
 * resources, so a type that did not change keeps its version and is not re-sent.
 */
public record ProxyResources(
        List<Cluster> clusters,
        List<ClusterLoadAssignment> endpoints,
        List<Listener> listeners,
        List<RouteConfiguration> routes,
        String clustersVersion,
        String endpointsVersion,
        String listenersVersion,
        String routesVersion) {

    public ProxyResources {
        clusters = List.copyOf(clusters);
        endpoints = List.copyOf(endpoints);
        listeners = List.copyOf(listeners);
        routes = List.copyOf(routes);
    }

    /** Resources with their versions computed. */
    public static ProxyResources of(List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                                    List<Listener> listeners, List<RouteConfiguration> routes) {
        return new ProxyResources(clusters, endpoints, listeners, routes,
                hash(clusters), hash(endpoints), hash(listeners), hash(routes));
    }

    /** First 16 hex digits of the SHA-256 of the resources' deterministic encoding (Struct maps are unordered otherwise). */
    static String hash(List<? extends Message> resources) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (Message resource : resources) {
                bytes.reset();
                CodedOutputStream out = CodedOutputStream.newInstance(bytes);
                out.useDeterministicSerialization();
                out.writeMessageNoTag(resource);
                out.flush();
                digest.update(bytes.toByteArray());
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
