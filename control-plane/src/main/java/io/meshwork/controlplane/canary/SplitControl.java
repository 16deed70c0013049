package io.meshwork.controlplane.canary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A service's default TrafficSplit where the mesh keeps it (a config folder or a cluster), for the canary and split commands. */
public interface SplitControl extends TrafficControl {

    /**
     * Which object, and where: {@code file} in local mode, {@code cluster} (the kubeconfig context or API
     * server) in Kubernetes mode; the other is null.
     */
    record Ref(String namespace, String name, Path file, String cluster) {

        /** {@code TrafficSplit shop/reviews}. */
        public String title() {
            return "TrafficSplit " + namespace + "/" + name;
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
