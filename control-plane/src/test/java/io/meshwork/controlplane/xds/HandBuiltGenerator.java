package io.meshwork.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import java.util.ArrayList;
import java.util.List;

/**
 * A test stand-in for the translator, for proxyless gRPC clients only: per service port an EDS
 * cluster with its endpoints, an api_listener with RDS, and a route that follows the service's
 * default TrafficSplit. It builds real Envoy resources by hand, names as in ARCHITECTURE.md.
 */
public final class HandBuiltGenerator implements ResourceGenerator {

    private static final ConfigSource ADS = ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance())
            .setResourceApiVersion(ApiVersion.V3)
            .build();

    @Override
    public GroupResources generate(MeshSnapshot snapshot, String groupKey, Node node) {
        List<Cluster> clusters = new ArrayList<>();
        List<ClusterLoadAssignment> endpoints = new ArrayList<>();
        List<Listener> listeners = new ArrayList<>();
        List<RouteConfiguration> routes = new ArrayList<>();
        for (MeshService service : snapshot.services().values()) {
            for (ServicePort port : service.ports()) {
                String name = clusterName(service.ref(), port.port());
                clusters.add(cluster(name));
                endpoints.add(loadAssignment(name, snapshot.endpointsOf(service.ref()), port.port()));
                String host = service.ref().serviceFqdn() + ":" + port.port();
                listeners.add(apiListener(host));
                routes.add(route(host, snapshot, service.ref(), port.port()));
            }
        }
        return GroupResources.hashed(clusters, endpoints, listeners, routes);
    }

    public static String clusterName(ObjectRef service, int port) {
        return "outbound|" + port + "||" + service.serviceFqdn();
    }

    private static Cluster cluster(String name) {
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
                .setConnectTimeout(Duration.newBuilder().setSeconds(1))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .build();
    }

    private static ClusterLoadAssignment loadAssignment(String name, List<ServiceEndpoint> all, int servicePort) {
        LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
                .setLoadBalancingWeight(UInt32Value.of(1));
        for (ServiceEndpoint e : all) {
            if (e.servicePort() != servicePort) {
                continue;
            }
            locality.setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
                    .setRegion(e.workload().locality().region()).setZone(e.workload().locality().zone()));
            locality.addLbEndpoints(LbEndpoint.newBuilder()
                    .setHealthStatus(e.ready() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
                    .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(
                            SocketAddress.newBuilder().setAddress(e.address()).setPortValue(e.port())))));
        }
        return ClusterLoadAssignment.newBuilder().setClusterName(name).addEndpoints(locality).build();
    }

    private static Listener apiListener(String host) {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix(host)
                .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(host))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.router")
                        .setTypedConfig(Any.pack(Router.getDefaultInstance())))
                .build();
        return Listener.newBuilder()
                .setName(host)
                .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
                .build();
    }

    private static RouteConfiguration route(String host, MeshSnapshot snapshot, ObjectRef service, int port) {
        RouteAction.Builder action = RouteAction.newBuilder();
        TrafficSplit split = snapshot.splitsFor(service).stream().filter(s -> s.matches().isEmpty()).findFirst()
                .orElse(null);
        if (split == null) {
            action.setCluster(clusterName(service, port));
        } else {
            WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
            for (TrafficSplit.Backend backend : split.backends()) {
                if (backend.weight() > 0) {
                    weighted.addClusters(WeightedCluster.ClusterWeight.newBuilder()
                            .setName(clusterName(ObjectRef.of(service.namespace(), backend.service()), port))
                            .setWeight(UInt32Value.of((int) backend.weight())));
                }
            }
            action.setWeightedClusters(weighted);
        }
        return RouteConfiguration.newBuilder()
                .setName(host)
                .addVirtualHosts(VirtualHost.newBuilder()
                        .setName(host)
                        .addDomains(host)
                        .addDomains(service.serviceFqdn())
                        .addRoutes(Route.newBuilder()
                                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                .setRoute(action)))
                .build();
    }
}
