package io.meshwork.controlplane.model;

import java.util.List;

/**
 * An SMI {@code access.smi-spec.io TrafficTarget} (v1alpha2, v1alpha3): which service accounts may
 * call the workloads of one service account, and with which requests. Once any TrafficTarget names a
 * workload's service account as its destination, only what one of them allows reaches that workload.
 *
 * @param destination the service account of the workloads it protects, in the TrafficTarget's namespace
 * @param port the destination port it applies to; null: every port
 * @param sources the service accounts allowed, as {@code namespace/name} refs
 * @param rules what requests they may send: HTTPRouteGroups of the TrafficTarget's namespace, with
 *     match names (none: all of the group's matches); no rules: any request
 */
public record TrafficTarget(ObjectRef ref, String destination, Integer port, List<ObjectRef> sources,
                            List<TrafficSplit.RouteGroupMatch> rules) {

    public TrafficTarget {
        sources = List.copyOf(sources);
        rules = List.copyOf(rules);
    }

    /** Whether this target protects {@code workload} on its port {@code workloadPort}. */
    public boolean protects(Workload workload, int workloadPort) {
        return selects(workload) && (port == null || port == workloadPort);
    }

    /** Whether {@code workload} runs as this target's destination account. */
    public boolean selects(Workload workload) {
        return workload.ref().namespace().equals(ref.namespace()) && workload.serviceAccount().equals(destination);
    }
}
