package io.meshwork.controlplane.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
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
        List<Secret> secrets,
        String clustersVersion,
        String endpointsVersion,
        String listenersVersion,
        String routesVersion,
        String secretsVersion) {

    public ProxyResources {
        clusters = List.copyOf(clusters);
        endpoints = List.copyOf(endpoints);
        listeners = List.copyOf(listeners);
        routes = List.copyOf(routes);
        secrets = List.copyOf(secrets);
    }

    /** Resources without secrets (a mesh without a CA), with their versions computed. */
    public static ProxyResources of(List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                                    List<Listener> listeners, List<RouteConfiguration> routes) {
        return of(clusters, endpoints, listeners, routes, List.of());
    }

    /** Resources with their versions computed. */
    public static ProxyResources of(List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                                    List<Listener> listeners, List<RouteConfiguration> routes, List<Secret> secrets) {
        return of(HashedResources.of(clusters), HashedResources.of(endpoints), HashedResources.of(listeners),
                HashedResources.of(routes), HashedResources.of(secrets));
    }

    static ProxyResources of(HashedResources<Cluster> clusters, HashedResources<ClusterLoadAssignment> endpoints,
                             HashedResources<Listener> listeners, HashedResources<RouteConfiguration> routes,
                             HashedResources<Secret> secrets) {
        return new ProxyResources(clusters.resources(), endpoints.resources(), listeners.resources(), routes.resources(),
                secrets.resources(), clusters.version(), endpoints.version(), listeners.version(), routes.version(),
                secrets.version());
    }
}
