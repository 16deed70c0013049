package io.meshwork.controlplane.source.kubernetes;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.Workload;
import io.meshwork.controlplane.source.local.EndpointResolver;
import io.meshwork.controlplane.source.local.EndpointSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kubernetes' stand-in for local mode's Workload objects: a Pod is a workload (labels, IP, service
 * account, its node's region and zone), and it is an endpoint of the Services whose EndpointSlices
 * list it, at the slice's port. An endpoint that is not ready, or is terminating (even while still
 * serving), is marked not ready: it gets no new requests while its in-flight ones finish. A pod is
 * meshed when its {@code meshwork.io/status} annotation says the injector gave it a sidecar; its
 * sidecar then serves each of its endpoint ports and hands the traffic to the same port on loopback.
 * An endpoint with no Pod behind it (a hand-made slice) is a plain workload named after its address.
 */
final class SliceEndpoints implements EndpointSource {

    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    static final String STATUS_ANNOTATION = "meshwork.io/status";
    static final String REGION_LABEL = "topology.kubernetes.io/region";
    static final String ZONE_LABEL = "topology.kubernetes.io/zone";

    private final Collection<Pod> pods;
    private final Collection<EndpointSlice> slices;
    private final Map<String, Locality> nodeLocality = new HashMap<>();
    private final String cluster;
    private final boolean qualify;

    SliceEndpoints(Collection<Pod> pods, Collection<EndpointSlice> slices, Collection<Node> nodes) {
        this(pods, slices, nodes, "", false);
    }

    /**
     * @param cluster the cluster these objects are from, stamped on its workloads
     * @param qualify whether workloads are named {@code <pod>@<cluster>}: another cluster's pods, whose names may
     *                be the same as this cluster's
     */
    SliceEndpoints(Collection<Pod> pods, Collection<EndpointSlice> slices, Collection<Node> nodes, String cluster,
                   boolean qualify) {
        this.pods = pods;
        this.slices = slices;
        this.cluster = cluster;
        this.qualify = qualify;
        for (Node node : nodes) {
            Map<String, String> labels = labels(node.getMetadata().getLabels());
            nodeLocality.put(node.getMetadata().getName(),
                    new Locality(labels.getOrDefault(REGION_LABEL, ""), labels.getOrDefault(ZONE_LABEL, "")));
        }
    }

    /** What the slices say about one address: its ports by name, and whether it may take new requests. */
    private static final class Listed {
        final Map<String, Integer> ports = new TreeMap<>();
        boolean ready = true;
        String address;
        String zone;
        String node;
    }

    @Override
    public Resolved resolve(Collection<MeshService> services, Map<ObjectRef, Workload> workloadObjects) {
        Map<ObjectRef, Listed> listed = new HashMap<>();
        Map<ObjectRef, List<EndpointSlice>> slicesByService = new HashMap<>();
        for (EndpointSlice slice : slices) {
            String service = labels(slice.getMetadata().getLabels()).get(SERVICE_NAME_LABEL);
            if (service == null || "FQDN".equals(slice.getAddressType())) {
                continue;
            }
            String namespace = slice.getMetadata().getNamespace();
            slicesByService.computeIfAbsent(ObjectRef.of(namespace, service), s -> new ArrayList<>()).add(slice);
            for (Endpoint endpoint : list(slice.getEndpoints())) {
                if (list(endpoint.getAddresses()).isEmpty()) {
                    continue;
                }
                Listed entry = listed.computeIfAbsent(workloadRef(namespace, endpoint), r -> new Listed());
                entry.address = endpoint.getAddresses().get(0);
                entry.zone = endpoint.getZone();
                entry.node = endpoint.getNodeName();
                entry.ready &= takesNewRequests(endpoint);
                for (EndpointPort port : list(slice.getPorts())) {
                    if (port.getPort() != null) {
                        entry.ports.putIfAbsent(nameOf(port), port.getPort());
                    }
                }
            }
        }
        Map<ObjectRef, Workload> workloads = new TreeMap<>(workloadObjects);
        for (Pod pod : pods) {
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            if (ip == null || ip.isEmpty()) {
                continue;
            }
            ObjectRef ref = qualified(ObjectRef.of(pod.getMetadata().getNamespace(), pod.getMetadata().getName()));
            Listed entry = listed.get(ref);
            Map<String, Integer> ports = entry == null ? Map.of() : entry.ports;
            boolean meshed = pod.getMetadata().getAnnotations() != null
                    && pod.getMetadata().getAnnotations().containsKey(STATUS_ANNOTATION);
            String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
            workloads.put(ref, new Workload(ref, labels(pod.getMetadata().getLabels()), ip, ports,
                    meshed ? ports : Map.of(), pod.getSpec() == null ? "" : pod.getSpec().getServiceAccountName(),
                    locality(node, entry == null ? null : entry.zone), cluster, entry == null || entry.ready));
        }
        listed.forEach((ref, entry) -> workloads.computeIfAbsent(ref, r -> new Workload(r, Map.of(), entry.address,
                entry.ports, Map.of(), "", locality(entry.node, entry.zone), cluster, entry.ready)));

        Map<ObjectRef, List<ServiceEndpoint>> fromObjects = workloadObjects.isEmpty() ? Map.of()
                : EndpointResolver.resolve(services, workloadObjects.values());
        Map<ObjectRef, List<ServiceEndpoint>> endpoints = new TreeMap<>();
        StringBuilder versionText = new StringBuilder();
        for (MeshService service : services) {
            List<ServiceEndpoint> ofService = new ArrayList<>();
            for (EndpointSlice slice : slicesByService.getOrDefault(service.ref(), List.of())) {
                for (EndpointPort slicePort : list(slice.getPorts())) {
                    ServicePort port = service.ports().stream().filter(p -> p.name().equals(nameOf(slicePort)))
                            .findFirst().orElse(null);
                    if (port == null || slicePort.getPort() == null) {
                        continue;
                    }
                    for (Endpoint endpoint : list(slice.getEndpoints())) {
                        Workload workload = workloads.get(workloadRef(slice.getMetadata().getNamespace(), endpoint));
                        if (workload != null && !list(endpoint.getAddresses()).isEmpty()) {
                            ofService.add(new ServiceEndpoint(service.ref(), port.port(), workload,
                                    endpoint.getAddresses().get(0), slicePort.getPort()));
                        }
                    }
                }
            }
            // Workload objects (VMs) that the Service's selector picks, as in a folder.
            ofService.addAll(fromObjects.getOrDefault(service.ref(), List.of()));
            ofService.sort(Comparator.comparingInt(ServiceEndpoint::servicePort)
                    .thenComparing(e -> e.workload().ref()).thenComparing(ServiceEndpoint::address));
            for (ServiceEndpoint e : ofService) {
                versionText.append(service.ref()).append(' ').append(e.servicePort()).append(' ')
                        .append(e.workload().ref()).append(' ').append(e.address()).append(':').append(e.port()).append('\n');
            }
            endpoints.put(service.ref(), ofService);
        }
        return new Resolved(workloads, endpoints, versionText.toString());
    }

    /** Ready, and not terminating: Kubernetes' {@code ready} is unset (true) for an endpoint it knows nothing against. */
    static boolean takesNewRequests(Endpoint endpoint) {
        if (endpoint.getConditions() == null) {
            return true;
        }
        return !Boolean.FALSE.equals(endpoint.getConditions().getReady())
                && !Boolean.TRUE.equals(endpoint.getConditions().getTerminating());
    }

    private ObjectRef workloadRef(String sliceNamespace, Endpoint endpoint) {
        ObjectReference target = endpoint.getTargetRef();
        if (target != null && "Pod".equals(target.getKind()) && target.getName() != null) {
            return qualified(ObjectRef.of(target.getNamespace() != null ? target.getNamespace() : sliceNamespace,
                    target.getName()));
        }
        return qualified(ObjectRef.of(sliceNamespace, "endpoint-" + endpoint.getAddresses().get(0).replace(':', '-')));
    }

    /** {@code ns/pod@cluster} for another cluster's pods: '@' is in no Kubernetes name, so it cannot collide. */
    private ObjectRef qualified(ObjectRef ref) {
        return qualify ? ObjectRef.of(ref.namespace(), ref.name() + "@" + cluster) : ref;
    }

    private Locality locality(String node, String zone) {
        Locality ofNode = node == null ? null : nodeLocality.get(node);
        if (ofNode != null && !(ofNode.region().isEmpty() && ofNode.zone().isEmpty())) {
            return ofNode;
        }
        return zone == null ? Locality.UNKNOWN : new Locality("", zone);
    }

    private static String nameOf(EndpointPort port) {
        return port.getName() == null ? "" : port.getName();
    }

    private static Map<String, String> labels(Map<String, String> labels) {
        return labels == null ? Map.of() : labels;
    }

    private static <T> List<T> list(List<T> items) {
        return items == null ? List.of() : items;
    }
}
