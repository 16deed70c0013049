package io.meshwork.controlplane.canary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The weights that split a service's traffic where the mesh keeps them (a config folder or a cluster), for the
 * canary and split commands: the backendRefs of its producer HTTPRoute's rule without matches when an HTTPRoute
 * routes the service (the route overrides the TrafficSplit), else its default TrafficSplit.
 */
public interface SplitControl extends TrafficControl {

    /**
     * Which object, and where: {@code kind} {@code TrafficSplit} or {@code HTTPRoute}; {@code file} in local
     * mode, {@code cluster} (the kubeconfig context or API server) in Kubernetes mode; the other is null.
     */
    record Ref(String kind, String namespace, String name, Path file, String cluster) {

        /** {@code TrafficSplit shop/reviews}, {@code HTTPRoute shop/reviews}. */
        public String title() {
            return kind + " " + namespace + "/" + name;
        }

        /** The file, or {@code cluster C}. */
        public String where() {
            return file != null ? file.toString() : "cluster " + cluster;
        }
    }

    /** The split's identity; an error that says what is missing when there is none. */
    Ref ref() throws IOException;

    /** Checks that the split may hold {@code weights} (every backend known, the config valid); nothing is written. */
    void requireValid(Map<String, Long> weights) throws IOException;
}
