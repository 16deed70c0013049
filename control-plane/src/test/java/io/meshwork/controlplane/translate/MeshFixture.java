package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.HttpRouteGroup;
import io.meshwork.controlplane.model.Locality;
import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.PeerAuthentication;
import io.meshwork.controlplane.model.Protocol;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.ServicePort;
import io.meshwork.controlplane.model.TrafficSplit;
import io.meshwork.controlplane.model.TrustBundle;
import io.meshwork.controlplane.model.Workload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A fluent builder of {@link MeshSnapshot}s for translation tests, standing in for the YAML source.
 * Refs are written {@code namespace/name}; labels and selectors {@code k=v,k=v}. Endpoints follow the
 * selectors: a service port's targetPort names a workload port, or is a number, or (empty) means the
 * workload port of the same name, else the service port number.
 */
final class MeshFixture {

    private final Map<ObjectRef, MeshService> services = new TreeMap<>();
    private final Map<ObjectRef, Workload> workloads = new TreeMap<>();
    private final Map<ObjectRef, TrafficSplit> splits = new TreeMap<>();
    private final Map<ObjectRef, HttpRouteGroup> routeGroups = new TreeMap<>();

    static MeshFixture mesh() {
        return new MeshFixture();
    }

    static ObjectRef ref(String namespaceSlashName) {
        String[] parts = namespaceSlashName.split("/", 2);
        return ObjectRef.of(parts[0], parts[1]);
    }

    static Map<String, String> labels(String commaSeparated) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : commaSeparated.split(",")) {
            if (!pair.isBlank()) {
                String[] kv = pair.split("=", 2);
                labels.put(kv[0].trim(), kv[1].trim());
            }
        }
        return labels;
    }

    static ServicePort http(int port) {
        return new ServicePort("http", port, "", Protocol.HTTP);
    }

    static ServicePort grpc(int port) {
        return new ServicePort("grpc", port, "", Protocol.GRPC);
    }

    static ServicePort http2(int port) {
        return new ServicePort("http2", port, "", Protocol.HTTP2);
    }

    static ServicePort tcp(int port) {
        return new ServicePort("tcp", port, "", Protocol.TCP);
    }

    static ServicePort port(String name, int port, Protocol protocol) {
        return new ServicePort(name, port, "", protocol);
    }

    static TrafficSplit.Backend backend(String service, long weight) {
        return new TrafficSplit.Backend(service, weight);
    }

    static HttpRouteGroup.Match headerMatch(String name, String header, String regex) {
        return new HttpRouteGroup.Match(name, "", List.of(), Map.of(header, regex));
    }

    static HttpRouteGroup.Match pathMatch(String name, String pathRegex, String... methods) {
        return new HttpRouteGroup.Match(name, pathRegex, List.of(methods), Map.of());
    }

    /** {@code plain} with {@code trust} and the PeerAuthentications {@code policies}. */
    static MeshSnapshot withPolicies(MeshSnapshot plain, TrustBundle trust, PeerAuthentication... policies) {
        TreeMap<ObjectRef, PeerAuthentication> byRef = new TreeMap<>();
        for (PeerAuthentication policy : policies) {
            byRef.put(policy.ref(), policy);
        }
        return new MeshSnapshot(plain.version(), plain.services(), plain.workloads(), plain.endpoints(), plain.splits(),
                plain.routeGroups(), plain.sidecars(), byRef, new TreeMap<>(), trust);
    }

    static WorkloadSpec workload(String ref, String labels, String address) {
        return new WorkloadSpec(ref(ref), labels(labels), address);
    }

    MeshFixture service(String ref, String selector, ServicePort... ports) {
        services.put(ref(ref), new MeshService(ref(ref), labels(selector), List.of(ports)));
        return this;
    }

    MeshFixture workload(WorkloadSpec spec) {
        Workload workload = spec.build();
        workloads.put(workload.ref(), workload);
        return this;
    }

    /** A default TrafficSplit (no matches) on {@code rootService}, in the split's namespace. */
    MeshFixture split(String ref, String rootService, TrafficSplit.Backend... backends) {
        splits.put(ref(ref), new TrafficSplit(ref(ref), rootService, List.of(backends), List.of()));
        return this;
    }

    /** A TrafficSplit that applies only to requests matching the HTTPRouteGroup {@code routeGroup}. */
    MeshFixture matchedSplit(String ref, String rootService, String routeGroup, TrafficSplit.Backend... backends) {
        splits.put(ref(ref), new TrafficSplit(ref(ref), rootService, List.of(backends),
                List.of(new TrafficSplit.RouteGroupMatch("HTTPRouteGroup", routeGroup, List.of()))));
        return this;
    }

    /** Any TrafficSplit, for the cases the shorthands above do not cover. */
    MeshFixture split(TrafficSplit split) {
        splits.put(split.ref(), split);
        return this;
    }

    MeshFixture routeGroup(String ref, HttpRouteGroup.Match... matches) {
        routeGroups.put(ref(ref), new HttpRouteGroup(ref(ref), Arrays.asList(matches)));
        return this;
    }

    MeshSnapshot build() {
        TreeMap<ObjectRef, List<ServiceEndpoint>> endpoints = new TreeMap<>();
        for (MeshService service : services.values()) {
            List<ServiceEndpoint> list = new ArrayList<>();
            for (Workload workload : workloads.values()) {
                if (!workload.ref().namespace().equals(service.ref().namespace()) || !workload.matches(service.selector())) {
                    continue;
                }
                for (ServicePort port : service.ports()) {
                    list.add(new ServiceEndpoint(service.ref(), port.port(), workload, workload.address(),
                            targetPort(port, workload)));
                }
            }
            endpoints.put(service.ref(), list);
        }
        return new MeshSnapshot(String.valueOf(hashCode()), new TreeMap<>(services), new TreeMap<>(workloads), endpoints,
                new TreeMap<>(splits), new TreeMap<>(routeGroups));
    }

    private static int targetPort(ServicePort port, Workload workload) {
        String target = port.targetPort();
        if (!target.isEmpty()) {
            return target.chars().allMatch(Character::isDigit) ? Integer.parseInt(target) : workload.ports().get(target);
        }
        return workload.ports().getOrDefault(port.name(), port.port());
    }

    /** A Workload under construction; unmeshed until it gets an app port. */
    static final class WorkloadSpec {
        private final ObjectRef ref;
        private final Map<String, String> labels;
        private final String address;
        private final Map<String, Integer> ports = new LinkedHashMap<>();
        private final Map<String, Integer> appPorts = new LinkedHashMap<>();
        private Locality locality = Locality.UNKNOWN;
        private String serviceAccount = "default";
        private boolean ready = true;

        private WorkloadSpec(ObjectRef ref, Map<String, String> labels, String address) {
            this.ref = ref;
            this.labels = labels;
            this.address = address;
        }

        WorkloadSpec port(String name, int port) {
            ports.put(name, port);
            return this;
        }

        /** A meshed port: the sidecar accepts on {@code port} and forwards to the application on {@code appPort}. */
        WorkloadSpec meshedPort(String name, int port, int appPort) {
            ports.put(name, port);
            appPorts.put(name, appPort);
            return this;
        }

        private String cluster = "";

        WorkloadSpec locality(String region, String zone) {
            locality = new Locality(region, zone);
            return this;
        }

        /** The Kubernetes cluster it runs in (multi-cluster). */
        WorkloadSpec cluster(String name) {
            cluster = name;
            return this;
        }

        WorkloadSpec serviceAccount(String name) {
            serviceAccount = name;
            return this;
        }

        WorkloadSpec notReady() {
            ready = false;
            return this;
        }

        Workload build() {
            return new Workload(ref, labels, address, ports, appPorts, serviceAccount, locality, cluster, ready);
        }
    }
}
