package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.Workload;
import java.util.Comparator;
import java.util.List;

/**
 * One port a meshed workload's sidecar accepts on ({@code spec.ports}) and the loopback port its
 * application listens on behind it ({@code spec.appPorts}, same name).
 *
 * @param protocol what a Service selecting the workload says about this port; TCP when none does
 */
record InboundPort(String name, int port, int appPort, Protocol protocol) {

    private static final List<Protocol> RICHNESS = List.of(Protocol.TCP, Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC);

    /** The inbound ports of the proxy's workload; empty for a proxyless client or an undeclared or unmeshed workload. */
    static List<InboundPort> of(MeshSnapshot snapshot, ProxyNode proxy) {
        Workload workload = proxy.workload().map(snapshot.workloads()::get).orElse(null);
        if (workload == null || !workload.meshed()) {
            return List.of();
        }
        return workload.ports().entrySet().stream()
                .filter(port -> workload.appPorts().containsKey(port.getKey()))
                .map(port -> new InboundPort(port.getKey(), port.getValue(), workload.appPorts().get(port.getKey()),
                        protocolOf(snapshot, workload, port.getValue())))
                .sorted(Comparator.comparingInt(InboundPort::port))
                .toList();
    }

    /**
     * The protocol Services give the port. When they disagree the richest wins (gRPC over HTTP/2 over
     * HTTP over TCP), so requests still get routed and gRPC streams get no route timeout.
     */
    private static Protocol protocolOf(MeshSnapshot snapshot, Workload workload, int port) {
        Protocol found = Protocol.TCP;
        for (List<ServiceEndpoint> endpoints : snapshot.endpoints().values()) {
            for (ServiceEndpoint endpoint : endpoints) {
                if (!endpoint.workload().ref().equals(workload.ref()) || endpoint.port() != port) {
                    continue;
                }
                Protocol protocol = snapshot.service(endpoint.service())
                        .flatMap(s -> s.port(endpoint.servicePort()))
                        .map(ServicePort::protocol)
                        .orElse(Protocol.TCP);
                if (RICHNESS.indexOf(protocol) > RICHNESS.indexOf(found)) {
                    found = protocol;
                }
            }
        }
        return found;
    }
}
