package io.meshwork.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshwork.controlplane.model.MeshSnapshot;

/**
 * Turns the mesh model into the Envoy resources of one proxy group (the translator plugs in here).
 * {@link AdsServer} calls it for several groups at once from its pool threads: it must be thread-safe.
 */
@FunctionalInterface
public interface ResourceGenerator {

    /**
     * @param node a node of the group (all nodes of a group get the same resources)
     */
    GroupResources generate(MeshSnapshot snapshot, String groupKey, Node node);
}
