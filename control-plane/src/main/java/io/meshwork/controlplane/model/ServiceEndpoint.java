package io.meshwork.controlplane.model;

/**
 * One endpoint of one Service port: the selected workload and the address:port to dial.
 * For a meshed workload the port is its sidecar's inbound port (from {@code spec.ports}).
 */
public record ServiceEndpoint(ObjectRef service, int servicePort, Workload workload, String address, int port) {

    public boolean ready() {
        return workload.ready();
    }

    public boolean meshed() {
        return workload.meshed();
    }
}
