package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.Workload;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One port a meshed workload's sidecar accepts on ({@code spec.ports}) and the loopback port its
 * application listens on behind it ({@code spec.appPorts}, same name).
 *
 * @param protocol what a Service selecting the workload says about this port; TCP when none does
 */
record InboundPort(String name, int port, int appPort, Protocol protocol) {

    private static final List<Protocol> RICHNESS = List.of(Protocol.TCP, Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC);

    /**
     * The endpoints of the latest snapshot asked about, by workload: scanning every endpoint of the
     * mesh for each sidecar cost milliseconds per group at 10,000 endpoints. One entry, so it holds
     * no more than the current snapshot.
     */
    private static volatile EndpointsByWorkload lastIndex;

    private record EndpointsByWorkload(MeshSnapshot snapshot, Map<ObjectRef, List<ServiceEndpoint>> endpoints) {

        static Map<ObjectRef, List<ServiceEndpoint>> of(MeshSnapshot snapshot) {
            EndpointsByWorkload index = lastIndex;
            if (index == null || index.snapshot() != snapshot) {
                Map<ObjectRef, List<ServiceEndpoint>> byWorkload = new HashMap<>();
                snapshot.endpoints().values().forEach(endpoints -> endpoints.forEach(endpoint ->
                        byWorkload.computeIfAbsent(endpoint.workload().ref(), ref -> new ArrayList<>()).add(endpoint)));
                index = new EndpointsByWorkload(snapshot, byWorkload);
                lastIndex = index;
            }
            return index.endpoints();
        }
    }

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

    /** The MeshRateLimit of the first Service port (in Service order) that this port of {@code workload} serves. */
    static java.util.Optional<io.meshwork.controlplane.model.MeshRateLimit> rateLimit(MeshSnapshot snapshot,
                                                                                      Workload workload, int port) {
        if (snapshot.policies().rateLimits().isEmpty()) {
            return java.util.Optional.empty();
        }
        return EndpointsByWorkload.of(snapshot).getOrDefault(workload.ref(), List.of()).stream()
                .filter(endpoint -> endpoint.port() == port)
                .sorted(Comparator.comparing(ServiceEndpoint::service).thenComparingInt(ServiceEndpoint::servicePort))
                .map(endpoint -> snapshot.policies().rateLimitFor(endpoint.service(), endpoint.servicePort()))
                .flatMap(java.util.Optional::stream)
                .findFirst();
    }

    /**
     * The protocol Services give the port. When they disagree the richest wins (gRPC over HTTP/2 over
     * HTTP over TCP), so requests still get routed and gRPC streams get no route timeout.
     */
    private static Protocol protocolOf(MeshSnapshot snapshot, Workload workload, int port) {
        Protocol found = Protocol.TCP;
        for (ServiceEndpoint endpoint : EndpointsByWorkload.of(snapshot).getOrDefault(workload.ref(), List.of())) {
            if (endpoint.port() != port) {
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
        return found;
    }
}
