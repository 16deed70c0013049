package io.meshwork.proxy.xds;

import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.listener.ListenerConfig;
import io.meshwork.proxy.route.RouteTable;
import io.meshwork.proxy.tls.ServerCertificate;
import com.google.protobuf.Any;
import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration the data plane runs on, complete and immutable: every listener has its
 * routes and every cluster its endpoints; {@code trustRoots} are the SDS secrets' roots, by secret name, and
 * {@code certificates} a gateway's listener certificates (SDS {@code tls_certificate}); {@code resources} the accepted xDS
 * resources as they came, by type and name, for the admin's config dump. Replaced as one object on each accepted update.
 */
public record ProxyConfig(Map<String, ListenerConfig> listeners, Map<String, RouteTable> routes,
                          Map<String, ClusterConfig> clusters, Map<String, String> versions,
                          Map<String, List<X509Certificate>> trustRoots, Map<ResourceType, Map<String, Any>> resources,
                          Map<String, ServerCertificate> certificates) {

    public static final ProxyConfig EMPTY = new ProxyConfig(Map.of(), Map.of(), Map.of(), Map.of());

    public ProxyConfig {
        listeners = Map.copyOf(listeners);
        routes = Map.copyOf(routes);
        clusters = Map.copyOf(clusters);
        versions = Map.copyOf(versions);
        trustRoots = Map.copyOf(trustRoots);
        Map<ResourceType, Map<String, Any>> copy = new EnumMap<>(ResourceType.class);
        resources.forEach((type, byName) -> copy.put(type, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byName))));
        resources = java.util.Collections.unmodifiableMap(copy);
        certificates = Map.copyOf(certificates);
    }

    /** A config without gateway certificates (a sidecar's). */
    public ProxyConfig(Map<String, ListenerConfig> listeners, Map<String, RouteTable> routes,
                       Map<String, ClusterConfig> clusters, Map<String, String> versions,
                       Map<String, List<X509Certificate>> trustRoots, Map<ResourceType, Map<String, Any>> resources) {
        this(listeners, routes, clusters, versions, trustRoots, resources, Map.of());
    }

    /** A config without the resources as they came (tests, and the empty config). */
    public ProxyConfig(Map<String, ListenerConfig> listeners, Map<String, RouteTable> routes,
                       Map<String, ClusterConfig> clusters, Map<String, String> versions,
                       Map<String, List<X509Certificate>> trustRoots) {
        this(listeners, routes, clusters, versions, trustRoots, Map.of());
    }

    /** A config without SDS secrets (no mutual TLS). */
    public ProxyConfig(Map<String, ListenerConfig> listeners, Map<String, RouteTable> routes,
                       Map<String, ClusterConfig> clusters, Map<String, String> versions) {
        this(listeners, routes, clusters, versions, Map.of());
    }
}
