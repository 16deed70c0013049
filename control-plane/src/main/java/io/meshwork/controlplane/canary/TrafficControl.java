package io.meshwork.controlplane.canary;

import java.io.IOException;
import java.util.Map;

/** Reads and sets the backend weights of a service's default TrafficSplit (local files or Kubernetes). */
public interface TrafficControl {

    /** Current weights, backend service name → relative weight. */
    Map<String, Long> weights() throws IOException;

    /** Replaces the weights; {@code status} is a one-line note recorded with the split for {@code mesh canary status}. */
    void setWeights(Map<String, Long> weights, String status) throws IOException;
}
