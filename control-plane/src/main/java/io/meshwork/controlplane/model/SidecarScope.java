package io.meshwork.controlplane.model;

import java.util.List;
import java.util.Map;

/**
 * A {@code meshwork.io/v1alpha1 Sidecar}: which services the sidecars of some workloads can reach, as
 * Istio's {@code Sidecar} resource says it with {@code egress[].hosts}. Those sidecars get only these
 * services (and the backends of their TrafficSplits), so their config grows with what they call, not
 * with the mesh.
 *
 * @param workloadSelector labels a workload of the same namespace must have; empty: every workload of
 *     the namespace that no Sidecar with a selector picks (Istio's namespace default)
 * @param egressHosts {@code namespace/name}: namespace {@code .} (the Sidecar's own), {@code *} or a name;
 *     name {@code *}, a service name, or its {@code <name>.<namespace>.svc.cluster.local}
 */
public record SidecarScope(ObjectRef ref, Map<String, String> workloadSelector, List<String> egressHosts) {

    public SidecarScope {
        workloadSelector = Map.copyOf(workloadSelector);
        egressHosts = List.copyOf(egressHosts);
    }

    /** Whether this Sidecar's selector picks {@code workload} (a namespace default picks none by label). */
    public boolean selects(Workload workload) {
        return !workloadSelector.isEmpty() && workload.ref().namespace().equals(ref.namespace())
                && workload.labels().entrySet().containsAll(workloadSelector.entrySet());
    }

    public boolean isNamespaceDefault() {
        return workloadSelector.isEmpty();
    }

    /** Whether one of the egress hosts names {@code service}. */
    public boolean allows(ObjectRef service) {
        for (String host : egressHosts) {
            int slash = host.indexOf('/');
            String namespace = host.substring(0, slash);
            String name = host.substring(slash + 1);
            boolean namespaceMatches = namespace.equals("*") || service.namespace().equals(
                    namespace.equals(".") ? ref.namespace() : namespace);
            boolean nameMatches = name.equals("*") || name.equals(service.name())
                    || name.equals(service.name() + "." + service.namespace() + ".svc.cluster.local");
            if (namespaceMatches && nameMatches) {
                return true;
            }
        }
        return false;
    }
}
