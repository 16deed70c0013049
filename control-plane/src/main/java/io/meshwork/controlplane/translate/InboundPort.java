package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.Workload;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One port a meshed workload's sidecar accepts on ({@code spec.ports}) and the loopback port its
 * application listens on behind it ({@code spec.appPorts}, same name).
 *
 * @param protocol what a Service selecting the workload says about this port; TCP when none does
 */
record InboundPort(String name, int port, int appPort, Protocol protocol) {

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

    /** The protocol a Service gives the port; HTTP wins over TCP when Services disagree, so requests get routed. */
    private static Protocol protocolOf(MeshSnapshot snapshot, Workload workload, int port) {
        Protocol found = Protocol.TCP;
        for (Map.Entry<?, List<ServiceEndpoint>> entry : snapshot.endpoints().entrySet()) {
            for (ServiceEndpoint endpoint : entry.getValue()) {
                if (!endpoint.workload().ref().equals(workload.ref()) || endpoint.port() != port) {
                    continue;
                }
                Protocol protocol = snapshot.service(endpoint.service())
                        .flatMap(s -> s.port(endpoint.servicePort()))
                        .map(p -> p.protocol())
                        .orElse(Protocol.TCP);
                if (found == Protocol.TCP || (protocol.isHttp2() && !found.isHttp2())) {
                    found = protocol;
                }
            }
        }
        return found;
    }
}
