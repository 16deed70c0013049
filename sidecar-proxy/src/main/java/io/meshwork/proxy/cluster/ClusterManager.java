package io.meshwork.proxy.cluster;

import io.meshwork.proxy.xds.ProxyConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The config the data plane routes with, paired with the load balancers built for it, so a request
 * sees routes and clusters of the same generation. Replaced whole on each accepted config.
 */
public final class ClusterManager {

    /** One generation: the config and a balancer per cluster. */
    public record View(ProxyConfig config, Map<String, LoadBalancer> balancers) {
    }

    private volatile View view = new View(ProxyConfig.EMPTY, Map.of());

    public void update(ProxyConfig config) {
        Map<String, LoadBalancer> next = new HashMap<>();
        config.clusters().forEach((name, cluster) -> next.put(name, new LoadBalancer(cluster)));
        view = new View(config, Map.copyOf(next));
    }

    public View view() {
        return view;
    }
}
