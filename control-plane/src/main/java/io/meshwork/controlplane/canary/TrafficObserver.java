package io.meshwork.controlplane.canary;

import java.io.IOException;

/** Reads cumulative request statistics of a backend service from the mesh's sidecars. */
public interface TrafficObserver {

    TrafficStats read(String backendService) throws IOException;
}
