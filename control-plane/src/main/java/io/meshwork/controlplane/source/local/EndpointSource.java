package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshService;
import io.meshwork.controlplane.model.ObjectRef;
import io.meshwork.controlplane.model.ServiceEndpoint;
import io.meshwork.controlplane.model.Workload;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a snapshot's workloads and endpoints come from, once its Services are accepted: the one
 * part of the model that differs between sources. Local mode picks each Service's endpoints among
 * its {@code Workload} objects by selector ({@link #WORKLOAD_OBJECTS}); Kubernetes mode takes them
 * from EndpointSlices and Pods.
 */
public interface EndpointSource {

    /**
     * @param workloads every workload of the snapshot, by ref
     * @param endpoints per accepted Service ref, the endpoints of all its ports
     * @param versionText what the endpoints depend on beyond the Services and workloads, for the
     *                    snapshot version; empty when they follow from those alone
     */
    record Resolved(Map<ObjectRef, Workload> workloads, Map<ObjectRef, List<ServiceEndpoint>> endpoints,
                    String versionText) {
    }

    /**
     * @param services the accepted Services
     * @param workloadObjects the accepted {@code meshwork.io/v1alpha1 Workload} objects
     */
    Resolved resolve(Collection<MeshService> services, Map<ObjectRef, Workload> workloadObjects);

    /** Local mode: the Workload objects are the workloads; a Service's selector picks its endpoints among them. */
    EndpointSource WORKLOAD_OBJECTS = (services, workloads) ->
            new Resolved(workloads, new TreeMap<>(EndpointResolver.resolve(services, workloads.values())), "");
}
