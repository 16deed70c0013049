package io.meshwork.controlplane.xds;

import io.envoyproxy.envoy.config.core.v3.Node;

/** Names the snapshot group of a node: nodes of one group share one cached snapshot. */
@FunctionalInterface
public interface GroupKeys {

    String groupOf(Node node);
}
